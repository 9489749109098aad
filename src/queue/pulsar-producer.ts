import {z} from 'zod'

import {describeError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import {BrokerLink, type ReconnectPolicy} from './broker-link.js'
import type {PulsarTopic} from './pulsar-names.js'
import {PulsarSocket} from './pulsar-socket.js'
import {brokerRefusedError} from './queue-errors.js'

/** The producer endpoint's answer to one send (`context` echoes ours). */
const SendReceipt = z.object({
  result: z.string(),
  messageId: z.string().optional(),
  errorMsg: z.string().optional(),
  context: z.string().optional(),
})

export interface PulsarProducerOptions {
  topic: PulsarTopic
  /** `ws://host:port` of the WebSocket service. */
  base: string
  token: string | undefined
  shown: string
  logger: Logger
  policy: ReconnectPolicy
  connectTimeoutMs: number
  heartbeatMs: number
  /** The link stayed away past its deadline. */
  onFailed(error: Error): void
}

export interface PulsarOutgoing {
  body: string
  properties: Record<string, string>
  confirmed: boolean
}

interface ProducerSession {
  socket: PulsarSocket
  receipts: Map<string, {resolve(): void; reject(error: Error): void}>
}

/**
 * One topic's producer WebSocket (`/ws/v2/producer/…`), reopened with back-off when it drops.
 * `send` resolves once the broker answered `ok` for every message (the WebSocket API's confirm);
 * messages whose answer was lost with the socket are sent again on the next one (the consumer side
 * recognises the duplicates by factflow's id property).
 */
export class PulsarProducer {
  /** When it last sent (the provider closes producers left idle). */
  lastUsed = Date.now()
  private readonly link: BrokerLink<ProducerSession>
  private nextContext = 0
  private inFlight = 0

  constructor(private readonly options: PulsarProducerOptions) {
    this.link = new BrokerLink<ProducerSession>({
      kind: 'pulsar', shown: options.shown, logger: options.logger, policy: options.policy,
      open: () => this.open(),
      setUp: async () => undefined,
      dispose: (session) => session.socket.close(),
    })
    this.link.onFailed((error) => options.onFailed(error))
    // The first socket is opened like a reconnect: a new topic during an outage waits, it does not fail.
    this.link.startPatiently()
  }

  get idle(): boolean {
    return this.inFlight === 0
  }

  async send(messages: PulsarOutgoing[]): Promise<void> {
    this.inFlight++
    this.lastUsed = Date.now()
    try {
      for (;;) {
        const session = await this.link.current()
        const sent = messages.filter((m) => !m.confirmed).map((message) => {
          const context = String(this.nextContext++)
          const confirmed = new Promise<void>((resolve, reject) => session.receipts.set(context, {resolve, reject})).then(() => { message.confirmed = true })
          session.socket.send({payload: Buffer.from(message.body, 'utf8').toString('base64'), properties: message.properties, context})
          return confirmed
        })
        const results = await Promise.allSettled(sent)
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failed === undefined) return
        if (!session.socket.dead) throw failed.reason
        // The socket went before every answer came: send the rest on the next one.
      }
    } finally {
      this.inFlight--
      this.lastUsed = Date.now()
    }
  }

  close(): Promise<void> {
    return this.link.close()
  }

  private async open(): Promise<ProducerSession> {
    const receipts: ProducerSession['receipts'] = new Map()
    const {topic, base} = this.options
    const socket: PulsarSocket = await PulsarSocket.open({
      url: `${base}/ws/v2/producer/${topic.path}`, token: this.options.token, shown: this.options.shown,
      connectTimeoutMs: this.options.connectTimeoutMs, heartbeatMs: this.options.heartbeatMs,
      onMessage: (text) => {
        const parsed = SendReceipt.safeParse(safeJson(text))
        if (!parsed.success || parsed.data.context === undefined) {
          this.options.logger.warn({topic: topic.name, answer: text.slice(0, 200)}, 'unexpected answer on a Pulsar producer socket')
          return
        }
        const waiter = receipts.get(parsed.data.context)
        if (waiter === undefined) return
        receipts.delete(parsed.data.context)
        if (parsed.data.result === 'ok') waiter.resolve()
        else waiter.reject(brokerRefusedError('pulsar', `${parsed.data.result}: ${parsed.data.errorMsg ?? 'send failed'} (${topic.name})`))
      },
      onLost: (cause) => {
        for (const waiter of receipts.values()) waiter.reject(cause)
        receipts.clear()
        this.link.dropped(session, cause)
      },
    })
    const session: ProducerSession = {socket, receipts}
    return session
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    return describeError(error)
  }
}
