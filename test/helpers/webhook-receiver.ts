import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {verifyWebhookSignature} from '../../src/webhooks/webhook-signature.js'

/** What the receiver does with one request: answer a status, or hold the request past the sender's timeout. */
export type ReceiverStep = {status: number; body?: string} | {hang: true}

export interface ReceivedDelivery {
  headers: http.IncomingHttpHeaders
  body: string
  /** The answer the receiver gave (`hang` when it held the request). */
  answered: number | 'hang'
  /** The signature verified with `secret` at receipt (undefined while no secret was set). */
  verified: boolean | undefined
}

export interface WebhookReceiver {
  url: string
  port: number
  received: ReceivedDelivery[]
  /** The secret signatures are checked with. */
  secret: string | undefined
  /** Resolves once `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedDelivery[]>
  close(): Promise<void>
}

/**
 * A webhook receiver on 127.0.0.1 that follows a script: each request takes the next step (the
 * last one repeats), verifies the signature like a real receiver would, and is recorded.
 */
export async function startWebhookReceiver(steps: ReceiverStep[], options: {port?: number} = {}): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = []
  const hanging = new Set<http.ServerResponse>()
  let waiters: Array<() => void> = []
  const receiver = {secret: undefined as string | undefined}
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const step = steps[Math.min(received.length, steps.length - 1)]!
      const verified = receiver.secret === undefined ? undefined : verifyWebhookSignature(receiver.secret, {
        timestamp: String(req.headers['x-factflow-timestamp']), signature: String(req.headers['x-factflow-signature']),
      }, body)
      received.push({headers: req.headers, body, answered: 'hang' in step ? 'hang' : step.status, verified})
      for (const wake of waiters) wake()
      if ('hang' in step) {
        hanging.add(res)
        return
      }
      res.writeHead(step.status, {'content-type': 'text/plain'}).end(step.body ?? `answered ${step.status}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`, port, received,
    async waitFor(count: number, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} of ${count} requests`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          waiters.push(() => { clearTimeout(timer); resolve() })
        })
        waiters = []
      }
      return received
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}
