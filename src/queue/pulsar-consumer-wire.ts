import {z} from 'zod'

import {isFactflowError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {BrokerConsumer, BrokerConsumerWire} from './broker-consumer.js'
import {BrokerLink, type ReconnectPolicy} from './broker-link.js'
import {QUEUE_SUBSCRIPTION, type PulsarEndpoint, type PulsarTopic} from './pulsar-names.js'
import {PulsarSocket} from './pulsar-socket.js'
import {brokerUnreachableError} from './queue-errors.js'
import type {Delivery} from './types.js'

/** The message property factflow stamps on each message (dedup of redeliveries after a lost ack). */
export const ID_PROPERTY = 'factflow-id'

/** Pulsar's WebSocket API caps a consumer's `receiverQueueSize` at 1000. */
const MAX_RECEIVER_QUEUE = 1000

/** A message the consumer endpoint pushes (fields factflow does not use are dropped). */
const PushedMessage = z.object({
  messageId: z.string().min(1),
  payload: z.string(),
  properties: z.record(z.string(), z.string()).optional(),
  redeliveryCount: z.number().int().nonnegative().optional(),
})

export interface PulsarWireOptions {
  endpoint: PulsarEndpoint
  topic: PulsarTopic
  /** factflow's subscription name (used for topics; queues share `QUEUE_SUBSCRIPTION`). */
  subscription: string
  prefetch: number
  /** The delivery's `destination` as the subscriber wrote it. */
  destination: string
  shown: string
  logger: Logger
  policy: ReconnectPolicy
  connectTimeoutMs: number
  heartbeatMs: number
  nackRedeliveryDelayMs: number
  deadLetter(destination: string, body: string, headers: Readonly<Record<string, string>>): Promise<void>
  onFailed(error: Error): void
}

interface ConsumerSession {
  socket: PulsarSocket
}

export interface PulsarToken {
  session: ConsumerSession
  messageId: string
}

/**
 * The wire side of one Pulsar subscription: a consumer WebSocket
 * (`/ws/v2/consumer/…/{subscription}?subscriptionType=Shared&receiverQueueSize=<prefetch>`) of its
 * own, reopened with back-off when it drops. The broker pushes at most `receiverQueueSize` unacked
 * messages; `ack` is `{messageId}`, `requeue` is `negativeAcknowledge` (redelivered after
 * `negativeAckRedeliveryDelay`); closing the socket hands every unacked message to the other
 * consumers. A topic subscription is unsubscribed when it closes (the broker refuses while other
 * consumers still share it), so it does not keep a backlog nobody reads.
 */
export class PulsarConsumerWire implements BrokerConsumerWire<PulsarToken> {
  consumer!: BrokerConsumer<PulsarToken>
  private readonly link: BrokerLink<ConsumerSession>

  constructor(private readonly options: PulsarWireOptions) {
    this.link = new BrokerLink<ConsumerSession>({
      kind: 'pulsar', shown: options.shown, logger: options.logger, policy: options.policy,
      open: () => this.open(),
      setUp: async () => undefined,
      dispose: (session) => session.socket.close(),
    })
    this.link.onFailed((error) => options.onFailed(error))
  }

  async start(): Promise<void> {
    if (this.link.isClosed) return
    try {
      await this.link.connect()
    } catch (error) {
      if (isFactflowError(error)) throw error
      throw brokerUnreachableError('pulsar', `${this.options.shown} (${this.options.topic.name})`, error)
    }
  }

  /** Pausing keeps the subscription: what the broker pushes meanwhile waits in the client (at most the prefetch). */
  async stop(): Promise<void> {}

  settle(token: PulsarToken, outcome: 'ack' | 'requeue'): void {
    token.session.socket.send(outcome === 'ack' ? {messageId: token.messageId} : {type: 'negativeAcknowledge', messageId: token.messageId})
  }

  async release(): Promise<void> {
    const session = this.link.peek()
    if (session !== undefined && this.options.topic.kind === 'topic') session.socket.send({type: 'unsubscribe'})
    await this.link.close()
  }

  deadLetter(destination: string, body: string, headers: Readonly<Record<string, string>>): Promise<void> {
    return this.options.deadLetter(destination, body, headers)
  }

  private async open(): Promise<ConsumerSession> {
    const {endpoint, topic, prefetch, nackRedeliveryDelayMs} = this.options
    const subscription = topic.kind === 'queue' ? QUEUE_SUBSCRIPTION : this.options.subscription
    const query = new URLSearchParams({
      subscriptionType: 'Shared',
      receiverQueueSize: String(Math.min(prefetch, MAX_RECEIVER_QUEUE)),
      negativeAckRedeliveryDelay: String(nackRedeliveryDelayMs),
    })
    const socket: PulsarSocket = new PulsarSocket({
      url: `${endpoint.base}/ws/v2/consumer/${topic.path}/${encodeURIComponent(subscription)}?${query}`,
      token: endpoint.token, shown: this.options.shown,
      connectTimeoutMs: this.options.connectTimeoutMs, heartbeatMs: this.options.heartbeatMs,
      onMessage: (text) => this.received(session, text),
      onLost: (cause) => {
        this.consumer.connectionLost()
        this.link.dropped(session, cause)
      },
    })
    const session: ConsumerSession = {socket}
    await socket.opened
    return session
  }

  private received(session: ConsumerSession, text: string): void {
    let parsed: z.infer<typeof PushedMessage>
    try {
      parsed = PushedMessage.parse(JSON.parse(text))
    } catch {
      this.options.logger.warn({topic: this.options.topic.name, frame: text.slice(0, 200)}, 'ignored a frame from the Pulsar consumer socket that is not a message')
      return
    }
    const {[ID_PROPERTY]: id, ...headers} = parsed.properties ?? {}
    const count = parsed.redeliveryCount ?? 0
    const delivery: Delivery = {
      destination: this.options.destination,
      body: Buffer.from(parsed.payload, 'base64').toString('utf8'),
      headers,
      redelivered: count > 0,
      deliveryCount: count + 1,
    }
    this.consumer.deliver({session, messageId: parsed.messageId}, delivery, id)
  }
}
