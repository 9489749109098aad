import {WebSocket} from 'ws'

import {brokerRefusedError} from './queue-errors.js'

export interface PulsarSocketOptions {
  /** `ws://host:port/ws/v2/…?…`. */
  url: string
  token: string | undefined
  /** Handshake timeout, ms. */
  connectTimeoutMs: number
  /** A ping this often; no pong by the next one closes the socket (a half-open connection). 0: none. */
  heartbeatMs: number
  /** What the URL is shown as in errors (without secrets). */
  shown: string
  onMessage(text: string): void
  /** Once, when the socket closed or failed after it was open. */
  onLost(cause: Error): void
}

/**
 * One WebSocket to Pulsar's WebSocket service (a producer or a consumer: Pulsar gives each its own
 * socket). Opening it is the subscribe / the producer creation: resolving means the broker said
 * yes. A refusal (HTTP 401/403 on the upgrade) is `QUEUE_BROKER_REFUSED`; other failures reject
 * with the cause (the caller's link retries them).
 */
export class PulsarSocket {
  dead = false
  /** Resolves when the broker accepted the upgrade; rejects when it did not. */
  readonly opened: Promise<void>
  private readonly socket: WebSocket
  private heartbeat: NodeJS.Timeout | undefined
  private awaitingPong = false

  /** Starts opening; `onMessage` may hear messages before `opened` resolves (they can share its first packet). */
  constructor(private readonly options: PulsarSocketOptions) {
    this.socket = new WebSocket(options.url, {
      handshakeTimeout: options.connectTimeoutMs,
      headers: options.token === undefined ? {} : {authorization: `Bearer ${options.token}`},
      perMessageDeflate: false,
    })
    const ws = this.socket
    this.opened = new Promise<void>((resolve, reject) => {
      let open = false
      ws.on('unexpected-response', (_request, response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => { if (body.length < 500) body += chunk })
        response.on('end', () => {
          ws.terminate()
          const status = response.statusCode ?? 0
          const message = `HTTP ${status} on ${options.shown}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`
          reject(status === 401 || status === 403 ? brokerRefusedError('pulsar', message) : new Error(message))
        })
        response.on('error', () => undefined)
      })
      ws.on('open', () => {
        open = true
        this.startHeartbeat()
        resolve()
      })
      ws.on('message', (data) => options.onMessage(data.toString()))
      ws.on('pong', () => { this.awaitingPong = false })
      ws.on('error', (error) => {
        if (!open) reject(error)
      })
      ws.on('close', (code, reason) => {
        const cause = new Error(`the Pulsar WebSocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`)
        if (!open) {
          this.dead = true
          reject(cause)
          return
        }
        this.lost(cause)
      })
    })
  }

  static async open(options: PulsarSocketOptions): Promise<PulsarSocket> {
    const socket = new PulsarSocket(options)
    await socket.opened
    return socket
  }

  send(command: object): boolean {
    if (this.dead || this.socket.readyState !== WebSocket.OPEN) return false
    this.socket.send(JSON.stringify(command))
    return true
  }

  /** Closes it (the broker hands this consumer's unacked messages to others). */
  close(): Promise<void> {
    this.dead = true
    clearInterval(this.heartbeat)
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate()
        resolve()
      }, 2000)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.socket.close(1000)
    })
  }

  private lost(cause: Error): void {
    clearInterval(this.heartbeat)
    if (this.dead) return
    this.dead = true
    this.options.onLost(cause)
  }

  private startHeartbeat(): void {
    if (this.options.heartbeatMs <= 0) return
    this.heartbeat = setInterval(() => {
      if (this.awaitingPong) {
        this.socket.terminate()
        return
      }
      this.awaitingPong = true
      this.socket.ping()
    }, this.options.heartbeatMs)
    this.heartbeat.unref()
  }
}
