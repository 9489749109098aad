import {randomUUID} from 'node:crypto'

import type {Client, IFrame, IMessage} from '@stomp/stompjs'

import {describeError, isFactflowError} from '../errors/index.js'
import {silentLogger, type Logger} from '../logging/logger.js'
import {startBrokerConsumer, type BrokerConsumer, type BrokerConsumerWire} from './broker-consumer.js'
import {BrokerLink, DEFAULT_RECONNECT, type ReconnectPolicy} from './broker-link.js'
import {redactUrl} from './broker-url.js'
import {brokerRefusedError, brokerUnreachableError, providerClosedError, subscribeInvalidError} from './queue-errors.js'
import {SettledIds} from './settled-ids.js'
import {stompDestination, stompHeadersIn} from './stomp-frames.js'
import {type DeliveryHandler, type PublishItem, type QueueProvider, type SubscribeOptions, type Subscription} from './types.js'

export interface StompQueueProviderOptions {
  /** `stomp://user:pass@host:61613[/vhost]` without factflow's own parameters. */
  url: string
  logger?: Logger
  reconnect?: ReconnectPolicy
  /** Connect timeout for one attempt, ms. Default 10 000. */
  connectTimeoutMs?: number
  /** STOMP heart-beat both ways, ms (0 turns it off). Default 10 000. */
  heartbeatMs?: number
  /**
   * RabbitMQ only: declare execution-scoped queues (`/queue/exec.<id>.…`) with `x-expires` of this
   * many ms, so the broker deletes them once unused that long (no consumer, no redeclare). STOMP has
   * no frame to delete a queue. Off by default: an interrupted execution's queues would expire too.
   */
  scopedQueueExpiresMs?: number
}

interface StompSession {
  client: Client
  /** Receipts asked for and not yet received: rejected when the connection goes. */
  receipts: Map<string, {resolve(): void; reject(error: Error): void}>
  dead: boolean
}

/** The id header factflow stamps on each message (dedup of redeliveries after a lost ack). */
const ID_HEADER = 'factflow-id'

/** An execution-scoped queue as STOMP names it (`scopeDestination`). */
const SCOPED_QUEUE = /^\/queue\/exec\.[0-9a-f-]{36}\./

/**
 * STOMP 1.2 (`stomp://`), with @stomp/stompjs over a TCP socket (@stomp/tcp-wrapper). Written to
 * ActiveMQ Artemis's conventions and tested on RabbitMQ's STOMP plugin:
 *
 * - Destinations are sent as written (`/queue/x`, `/topic/x`; a bare `x` becomes `/queue/x`), with
 *   `destination-type: ANYCAST | MULTICAST` for Artemis; RabbitMQ reads the prefixes (durable queue
 *   `x`, the same one the AMQP provider uses; topics through `amq.topic`).
 * - Sends are `persistent` and each carries a `receipt`: `publish` resolves when the broker
 *   answers it (on RabbitMQ, after its publisher confirm).
 * - Subscriptions use `ack: client-individual` and ask for at most `prefetch` unacked messages
 *   (`prefetch-count` for RabbitMQ, `activemq.prefetchSize` for ActiveMQ Classic; deliveries a
 *   broker pushes past that wait in the client). `requeue` is NACK; `reject` publishes to the
 *   dead-letter destination and then ACKs; close NACKs what is unsettled.
 * - Heart-beats both ways (10 s); a dropped connection is re-opened with back-off, subscriptions
 *   are made again, publishes wait (`BrokerLink`).
 * - On a topic each subscription gets its own copy; consumers sharing a topic subscription name do
 *   not compete (each SUBSCRIBE is its own subscriber; shared topic subscriptions differ per broker).
 */
export class StompQueueProvider implements QueueProvider {
  readonly kind = 'stomp' as const
  private readonly logger: Logger
  private readonly link: BrokerLink<StompSession>
  private readonly wires = new Set<StompWire>()
  private readonly failedListeners = new Set<(error: Error) => void>()
  private failure: Error | undefined
  private readonly settledIds = new SettledIds()
  private readonly url: URL
  private readonly shown: string
  private closing = false
  private closed = false
  private closePromise: Promise<void> | undefined

  constructor(private readonly options: StompQueueProviderOptions) {
    this.logger = options.logger ?? silentLogger
    this.url = new URL(options.url)
    this.shown = redactUrl(this.url)
    this.link = new BrokerLink<StompSession>({
      kind: this.kind, shown: this.shown, logger: this.logger, policy: options.reconnect ?? DEFAULT_RECONNECT,
      open: () => this.openSession((session, cause) => this.link.dropped(session, cause)),
      setUp: async () => undefined,
      dispose: disposeSession,
    })
    this.link.onFailed((error) => this.failed(error))
  }

  async connect(): Promise<void> {
    if (this.closing) throw providerClosedError(this.kind, 'connect')
    try {
      await this.link.connect()
    } catch (error) {
      if (isFactflowError(error)) throw error
      throw brokerUnreachableError(this.kind, this.shown, error)
    }
  }

  /** Hears once that the broker stayed away past the reconnect deadline (publishing or consuming). */
  onUnavailable(listener: (error: Error) => void): () => void {
    this.failedListeners.add(listener)
    return () => this.failedListeners.delete(listener)
  }

  /** A connection (the publisher's or a subscription's) gave up: tell the listeners, once. */
  failed(error: Error): void {
    if (this.failure !== undefined) return
    this.failure = error
    for (const listener of [...this.failedListeners]) listener(error)
  }

  /** A link for one subscription's own connection (see `StompWire`). */
  subscriptionLink(wire: StompWire): BrokerLink<StompSession> {
    const link: BrokerLink<StompSession> = new BrokerLink<StompSession>({
      kind: this.kind, shown: this.shown, logger: this.logger, policy: this.options.reconnect ?? DEFAULT_RECONNECT,
      open: () => this.openSession((session, cause) => {
        wire.connectionLost(session)
        link.dropped(session, cause)
      }),
      setUp: async (session) => wire.subscribeOn(session),
      dispose: disposeSession,
    })
    link.onFailed((error) => this.failed(error))
    return link
  }

  publish(destination: string, body: string, headers?: Record<string, string>): Promise<void> {
    return this.send([{destination, body, headers}])
  }

  publishBatch(items: readonly PublishItem[]): Promise<void> {
    return items.length === 0 ? Promise.resolve() : this.send(items)
  }

  async subscribe(destination: string, options: SubscribeOptions, handler: DeliveryHandler): Promise<Subscription> {
    if (this.closing) throw providerClosedError(this.kind, 'subscribe')
    const {subscription, prefetch, deadLetterDestination} = options
    if (!Number.isInteger(prefetch) || prefetch < 1) throw subscribeInvalidError(`prefetch must be an integer of at least 1, got ${prefetch}`, {destination, prefetch})
    if (typeof subscription !== 'string' || subscription.length === 0) throw subscribeInvalidError('subscription name must not be empty', {destination})
    const wire = new StompWire(this, destination, prefetch)
    wire.link = this.subscriptionLink(wire)
    const consumer = await startBrokerConsumer<StompToken, typeof wire>(this.wires, wire, {
      destination, subscription, prefetch, deadLetterDestination, handler, settledIds: this.settledIds, logger: this.logger,
    })
    return consumer
  }

  /** STOMP has no way to ask a queue's depth: undefined, once the connection is up (a health probe waits for it). */
  async depth(): Promise<number | undefined> {
    await this.link.current()
    return undefined
  }

  /** STOMP cannot delete a queue (Artemis auto-deletes empty auto-created ones; RabbitMQ keeps them). */
  async deleteQueue(): Promise<void> {}

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closing = true
      await Promise.all([...this.wires].map((wire) => wire.consumer.close()))
      this.closed = true
      await this.link.close()
    })()
    return this.closePromise
  }

  private async send(items: readonly PublishItem[]): Promise<void> {
    if (this.closed) throw providerClosedError(this.kind, 'publish')
    const pending = items.map((item) => ({item, id: randomUUID(), confirmed: false}))
    for (;;) {
      const session = await this.link.current().catch((error: unknown) => {
        throw this.closed ? providerClosedError(this.kind, 'publish') : error
      })
      const receipts = pending.filter((p) => !p.confirmed).map((p) => {
        const receipt = `r-${randomUUID()}`
        const confirmed = new Promise<void>((resolve, reject) => session.receipts.set(receipt, {resolve, reject})).then(() => { p.confirmed = true })
        const {destination, type} = stompDestination(p.item.destination)
        session.client.publish({
          destination,
          body: p.item.body,
          headers: {...p.item.headers, ...this.queueArguments(destination), persistent: 'true', 'destination-type': type, [ID_HEADER]: p.id, receipt},
        })
        return confirmed
      })
      const results = await Promise.allSettled(receipts)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed === undefined) return
      if (this.closed) throw providerClosedError(this.kind, 'publish')
      if (!session.dead) throw brokerRefusedError(this.kind, describeError(failed.reason), failed.reason)
      // The connection went before every receipt came: send the rest on the next one.
    }
  }

  /** Headers that declare a queue's arguments on RabbitMQ (the same on every SEND and SUBSCRIBE, or it refuses). */
  queueArguments(destination: string): Record<string, string> {
    const expires = this.options.scopedQueueExpiresMs
    return expires !== undefined && SCOPED_QUEUE.test(destination) ? {'x-expires': String(expires)} : {}
  }

  /** Opens one STOMP connection; `onLost` hears when it dies after it was up. */
  async openSession(onLost: (session: StompSession, cause: Error) => void): Promise<StompSession> {
    const [{Client}, {TCPWrapper}] = await Promise.all([import('@stomp/stompjs'), import('@stomp/tcp-wrapper')])
    const host = this.url.hostname
    const port = Number(this.url.port || 61613)
    const vhost = decodeURIComponent(this.url.pathname.replace(/^\//, ''))
    const heartbeat = this.options.heartbeatMs ?? 10_000
    return new Promise<StompSession>((resolve, reject) => {
      let connected = false
      const client: Client = new Client({
        webSocketFactory: () => new TCPWrapper(host, port),
        connectHeaders: {
          ...(this.url.username ? {login: decodeURIComponent(this.url.username)} : {}),
          ...(this.url.password ? {passcode: decodeURIComponent(this.url.password)} : {}),
          host: vhost || (this.url.username ? '/' : host),
        },
        heartbeatIncoming: heartbeat,
        heartbeatOutgoing: heartbeat,
        reconnectDelay: 0,
        connectionTimeout: this.options.connectTimeoutMs ?? 10_000,
        debug: () => undefined,
      })
      const session: StompSession = {client, receipts: new Map(), dead: false}
      const lost = (cause: Error) => {
        if (session.dead && connected) return
        session.dead = true
        for (const waiter of session.receipts.values()) waiter.reject(cause)
        session.receipts.clear()
        if (!connected) {
          void client.deactivate({force: true}).catch(() => undefined)
          reject(cause)
          return
        }
        onLost(session, cause)
      }
      client.onConnect = () => {
        connected = true
        resolve(session)
      }
      client.onUnhandledReceipt = (frame: IFrame) => {
        const id = frame.headers['receipt-id']
        const waiter = id === undefined ? undefined : session.receipts.get(id)
        if (waiter === undefined) return
        session.receipts.delete(id!)
        waiter.resolve()
      }
      client.onUnhandledMessage = (message: IMessage) => {
        // For a subscription closed meanwhile: give it back.
        try {
          message.nack()
        } catch {
          // gone with its connection
        }
      }
      client.onStompError = (frame: IFrame) => {
        const message = `${frame.headers.message ?? 'ERROR frame'}${frame.body ? `: ${frame.body.trim().slice(0, 300)}` : ''}`
        this.logger.warn({broker: this.shown, error: message}, 'the STOMP broker sent an ERROR frame')
        if (!connected && /access|refused|login|auth|credential|denied/i.test(message)) {
          session.dead = true
          void client.deactivate({force: true}).catch(() => undefined)
          reject(brokerRefusedError(this.kind, `${message} (${this.shown})`))
        }
      }
      client.onWebSocketClose = () => lost(new Error('the STOMP connection closed'))
      client.onWebSocketError = () => undefined
      client.activate()
    })
  }
}

interface StompToken {
  session: StompSession
  message: IMessage
}

async function disposeSession(session: StompSession): Promise<void> {
  session.dead = true
  await session.client.deactivate({force: true}).catch(() => undefined)
}

/**
 * The wire side of one STOMP subscription, on a connection of its own: RabbitMQ refuses an ACK
 * or NACK once its subscription is gone, and a NACKed message comes straight back to the same
 * subscription, so the only way to hand unsettled messages back is to close their connection
 * (which every broker does). Pausing keeps the subscription; what arrives meanwhile waits in the
 * client (at most `prefetch`).
 */
class StompWire implements BrokerConsumerWire<StompToken> {
  consumer!: BrokerConsumer<StompToken>
  link!: BrokerLink<StompSession>

  constructor(private readonly provider: StompQueueProvider, private readonly destination: string, private readonly prefetch: number) {}

  async start(): Promise<void> {
    if (this.link.isClosed) return
    try {
      await this.link.connect()
    } catch (error) {
      if (isFactflowError(error)) throw error
      throw brokerUnreachableError('stomp', this.destination, error)
    }
  }

  /** Subscribes and waits for the broker's receipt (a topic message sent before it would be missed). */
  subscribeOn(session: StompSession): Promise<void> {
    const {destination, type} = stompDestination(this.destination)
    const receipt = `s-${randomUUID()}`
    const subscribed = new Promise<void>((resolve, reject) => session.receipts.set(receipt, {resolve, reject}))
    session.client.subscribe(destination, (message) => {
      this.consumer.deliver({session, message}, {destination: this.destination, ...stompHeadersIn(message.headers), body: message.body}, message.headers[ID_HEADER])
    }, {
      ack: 'client-individual',
      ...this.provider.queueArguments(destination),
      'prefetch-count': String(this.prefetch),
      'activemq.prefetchSize': String(this.prefetch),
      'destination-type': type,
      receipt,
    })
    return subscribed
  }

  async stop(): Promise<void> {}

  settle(token: StompToken, outcome: 'ack' | 'requeue'): void {
    if (token.session.dead) return
    try {
      if (outcome === 'ack') token.message.ack()
      else token.message.nack()
    } catch {
      // The connection went: the broker redelivers.
    }
  }

  /** Closing the subscription's connection hands every unacked message back. */
  async release(): Promise<void> {
    await this.link.close()
  }

  deadLetter(destination: string, body: string, headers: Readonly<Record<string, string>>): Promise<void> {
    return this.provider.publish(destination, body, {...headers})
  }

  connectionLost(session: StompSession): void {
    if (!session.dead) return
    this.consumer.connectionLost()
  }
}
