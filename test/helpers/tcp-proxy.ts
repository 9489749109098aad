import net from 'node:net'

/**
 * A TCP proxy for outage tests: sits between a client and a real service, and can be cut and
 * restored. While cut, open connections are destroyed and new ones are accepted then closed at
 * once (the client sees a reset, as when a server goes away).
 */
export interface TcpProxy {
  readonly port: number
  /** `postgres://…@127.0.0.1:<proxy port>/…` for a URL of the proxied service. */
  rewrite(url: string): string
  /**
   * Cuts the link. `now`: at once. `mid-request`: when the next client chunk of at least
   * `minBytes` arrives, forward half of it, then cut (a statement broken in the middle).
   * `before-reply`: after the next client chunk of at least `minBytes` is forwarded whole, drop the
   * service's answer and cut (the work was done, the client cannot know it).
   * Resolves when the cut has happened.
   */
  cut(mode?: 'now' | 'mid-request' | 'before-reply', minBytes?: number): Promise<void>
  restore(): void
  readonly isCut: boolean
  /** Connections accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

type Trap = {mode: 'mid-request' | 'before-reply'; minBytes: number; done(): void; armed: boolean}

export async function startTcpProxy(target: {host: string; port: number}): Promise<TcpProxy> {
  const pairs = new Set<{client: net.Socket; upstream: net.Socket}>()
  let cut = false
  let connections = 0
  let trap: Trap | undefined

  const destroyAll = () => {
    for (const pair of pairs) {
      pair.client.destroy()
      pair.upstream.destroy()
    }
    pairs.clear()
  }
  const cutNow = () => {
    cut = true
    destroyAll()
    const pending = trap
    trap = undefined
    pending?.done()
  }

  const server = net.createServer((client) => {
    connections++
    if (cut) {
      client.destroy()
      return
    }
    const upstream = net.connect(target)
    const pair = {client, upstream}
    pairs.add(pair)
    const close = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.on('data', (chunk: Buffer) => {
      if (trap?.armed && trap.mode === 'mid-request') return // the rest of a broken request never arrives
      if (trap !== undefined && !trap.armed && chunk.length >= trap.minBytes) {
        trap.armed = true
        if (trap.mode === 'mid-request') {
          upstream.write(chunk.subarray(0, chunk.length >> 1), () => cutNow())
          return
        }
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (trap?.armed && trap.mode === 'before-reply') {
        cutNow()
        return
      }
      client.write(chunk)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port

  return {
    port,
    rewrite(url) {
      const parsed = new URL(url)
      parsed.hostname = '127.0.0.1'
      parsed.port = String(port)
      return parsed.toString()
    },
    cut(mode = 'now', minBytes = 1) {
      if (mode === 'now') {
        cutNow()
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => {
        trap = {mode, minBytes, done: resolve, armed: false}
      })
    },
    restore() {
      cut = false
    },
    get isCut() {
      return cut
    },
    get connections() {
      return connections
    },
    async close() {
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
