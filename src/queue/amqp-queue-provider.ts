import {randomUUID} from 'node:crypto'

import type {Channel, ChannelModel, ConfirmChannel, ConsumeMessage} from 'amqplib'

import {describeError, isFactflowError} from '../errors/index.js'
import {silentLogger, type Logger} from '../logging/logger.js'
import {amqpName, amqpTopicQueue} from './amqp-names.js'
import {startBrokerConsumer, type BrokerConsumer, type BrokerConsumerWire} from './broker-consumer.js'
import {BrokerLink, DEFAULT_RECONNECT, type ReconnectPolicy} from './broker-link.js'
import {redactUrl} from './broker-url.js'
import {brokerRefusedError, brokerUnreachableError, providerClosedError, subscribeInvalidError} from './queue-errors.js'
import {SettledIds} from './settled-ids.js'
import {isTopic, type DeliveryHandler, type PublishItem, type QueueProvider, type SubscribeOptions, type Subscription} from './types.js'

type Amqplib = typeof import('amqplib')

export interface AmqpQueueProviderOptions {
  /** `amqp://user:pass@host:5672[/vhost][?heartbeat=10]` without factflow's own parameters. */
  url: string
  logger?: Logger
  reconnect?: ReconnectPolicy
  /** Connect timeout for one attempt, ms. Default 10 000. */
  connectTimeoutMs?: number
}

/** One live AMQP connection and what was declared on it. */
interface AmqpSession {
  model: ChannelModel
  publisher: Promise<ConfirmChannel> | undefined
  declared: Set<string>
  dead: boolean
}

interface PendingPublish {
  item: PublishItem
  id: string
  confirmed: boolean
}

const CLOSED_CHANNELS = new WeakSet<Channel>()

/**
 * RabbitMQ over AMQP 0-9-1 (`amqp://`, `amqps://`), with amqplib.
 *
 * - `/queue/x` (or `x`) is the durable queue `x` (names mapped by `amqpName`), declared by whoever
 *   touches it first, so a message published before its consumer subscribed waits. Messages are
 *   persistent and every publish waits for the broker's confirm.
 * - `/topic/x` is the durable fanout exchange `x`; each subscription name reads its own queue bound
 *   to it (consumers sharing the name compete), which the broker drops a minute after it was last
 *   used.
 * - Each subscription has its own channel with `prefetch` as its QoS; acks are manual; `requeue`
 *   is `basic.nack` with requeue; `reject` publishes body and headers to the dead-letter
 *   destination (confirmed) and then acks, so it works on queues declared without broker-side
 *   dead-letter arguments. Closing a subscription closes its channel: unacked messages go back.
 * - A dropped connection is re-opened with back-off (`BrokerLink`), every subscription consumes
 *   again, and publishes wait meanwhile; past the deadline everything fails with
 *   `QUEUE_BROKER_UNAVAILABLE`. Delivery counts are not exact (classic queues only say
 *   "redelivered"): 1, or 2 for any redelivery, unless the broker sends `x-delivery-count`.
 */
export class AmqpQueueProvider implements QueueProvider {
  readonly kind = 'amqp' as const
  private readonly logger: Logger
  private readonly link: BrokerLink<AmqpSession>
  private readonly wires = new Set<AmqpWire>()
  private readonly settledIds = new SettledIds()
  private readonly shown: string
  private amqplib: Amqplib | undefined
  private closing = false
  private closed = false
  private closePromise: Promise<void> | undefined

  constructor(private readonly options: AmqpQueueProviderOptions) {
    this.logger = options.logger ?? silentLogger
    this.shown = redactUrl(new URL(options.url))
    this.link = new BrokerLink<AmqpSession>({
      kind: this.kind, shown: this.shown, logger: this.logger, policy: options.reconnect ?? DEFAULT_RECONNECT,
      open: () => this.open(),
      setUp: (session, reconnect) => this.setUp(session, reconnect),
      dispose: async (session) => {
        session.dead = true
        await session.model.close().catch(() => undefined)
      },
    })
  }

  async connect(): Promise<void> {
    if (this.closing) throw providerClosedError(this.kind, 'connect')
    try {
      await this.link.connect()
    } catch (error) {
      if (isFactflowError(error)) throw error
      if (/ACCESS.REFUSED|403|NOT.ALLOWED|530/.test(describeError(error))) throw brokerRefusedError(this.kind, `${describeError(error)} (${this.shown})`, error)
      throw brokerUnreachableError(this.kind, this.shown, error)
    }
  }

  /** Hears once that the broker stayed away past the reconnect deadline. */
  onUnavailable(listener: (error: Error) => void): () => void {
    return this.link.onFailed(listener)
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
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
      throw subscribeInvalidError(`prefetch must be an integer from 1 to 65535, got ${prefetch}`, {destination, prefetch})
    }
    if (typeof subscription !== 'string' || subscription.length === 0) throw subscribeInvalidError('subscription name must not be empty', {destination})
    const wire = new AmqpWire(this, this.logger, destination, subscription, prefetch)
    const consumer = await startBrokerConsumer<AmqpToken, typeof wire>(this.wires, wire, {
      destination, subscription, prefetch, deadLetterDestination, handler, settledIds: this.settledIds, logger: this.logger,
    })
    return consumer
  }

  async depth(destination: string): Promise<number | undefined> {
    if (isTopic(destination)) return undefined
    const session = await this.link.current()
    return this.withChannel(session, async (channel) => {
      try {
        return (await channel.checkQueue(amqpName(destination))).messageCount
      } catch (error) {
        if (/404|NOT_FOUND/.test(describeError(error))) return 0
        throw error
      }
    })
  }

  /** Deletes a queue (with what it holds); topics are shared and stay. Skipped while the broker is away. */
  async deleteQueue(destination: string): Promise<void> {
    if (isTopic(destination)) return
    const session = this.link.peek()
    if (session === undefined) return
    const name = amqpName(destination)
    await this.withChannel(session, (channel) => channel.deleteQueue(name))
    session.declared.delete(`q:${name}`)
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closing = true
      await Promise.all([...this.wires].map((wire) => wire.consumer.close()))
      this.closed = true
      await this.link.close()
    })()
    return this.closePromise
  }

  /** The live connection (waits while reconnecting). */
  session(): Promise<AmqpSession> {
    return this.link.current()
  }

  /** Declares a queue or a topic's exchange once per connection; returns where to publish. */
  async target(session: AmqpSession, channel: Channel, destination: string): Promise<{exchange: string; routingKey: string}> {
    const name = amqpName(destination)
    if (isTopic(destination)) {
      if (!session.declared.has(`x:${name}`)) {
        await channel.assertExchange(name, 'fanout', {durable: true})
        session.declared.add(`x:${name}`)
      }
      return {exchange: name, routingKey: ''}
    }
    if (!session.declared.has(`q:${name}`)) {
      await channel.assertQueue(name, {durable: true})
      session.declared.add(`q:${name}`)
    }
    return {exchange: '', routingKey: name}
  }

  private async send(items: readonly PublishItem[]): Promise<void> {
    if (this.closed) throw providerClosedError(this.kind, 'publish')
    // One id per message for all attempts: a retry after a lost confirm is recognised downstream.
    const pending: PendingPublish[] = items.map((item) => ({item, id: randomUUID(), confirmed: false}))
    for (let attempt = 1; ; attempt++) {
      const session = await this.link.current().catch((error: unknown) => {
        throw this.closed ? providerClosedError(this.kind, 'publish') : error
      })
      try {
        await this.sendOn(session, pending.filter((p) => !p.confirmed))
        return
      } catch (error) {
        if (this.closed) throw providerClosedError(this.kind, 'publish')
        if (session.dead) continue // the link reconnects; send the unconfirmed rest on the next connection
        if (attempt >= 3) throw brokerRefusedError(this.kind, describeError(error), error)
      }
    }
  }

  private async sendOn(session: AmqpSession, pending: PendingPublish[]): Promise<void> {
    const channel = await this.publisher(session)
    const confirms: Promise<void>[] = []
    try {
      for (const p of pending) {
        const {exchange, routingKey} = await this.target(session, channel, p.item.destination)
        let full = false
        confirms.push(new Promise<void>((resolve, reject) => {
          full = !channel.publish(exchange, routingKey, Buffer.from(p.item.body), {
            persistent: true, messageId: p.id, headers: p.item.headers, contentType: 'application/octet-stream',
          }, (error: unknown) => {
            if (error) reject(error instanceof Error ? error : new Error(String(error)))
            else {
              p.confirmed = true
              resolve()
            }
          })
        }))
        if (full) await drained(channel)
      }
    } finally {
      // Every confirm is awaited (or its rejection observed) even when a declare failed midway.
      const results = await Promise.allSettled(confirms)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
    }
  }

  private publisher(session: AmqpSession): Promise<ConfirmChannel> {
    let channel = session.publisher
    if (channel === undefined) {
      channel = session.model.createConfirmChannel().then((created) => {
        watchChannel(created, this.logger, () => {
          if (session.publisher === channel) session.publisher = undefined
        })
        return created
      })
      channel.catch(() => {
        if (session.publisher === channel) session.publisher = undefined
      })
      session.publisher = channel
    }
    return channel
  }

  private async withChannel<T>(session: AmqpSession, work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await session.model.createChannel()
    watchChannel(channel, this.logger, () => undefined)
    try {
      return await work(channel)
    } finally {
      if (!CLOSED_CHANNELS.has(channel)) await channel.close().catch(() => undefined)
    }
  }

  private async open(): Promise<AmqpSession> {
    this.amqplib ??= await import('amqplib')
    const model = await this.amqplib.connect(this.options.url, {timeout: this.options.connectTimeoutMs ?? 10_000})
    const session: AmqpSession = {model, publisher: undefined, declared: new Set(), dead: false}
    model.on('error', (error: Error) => this.logger.debug({err: describeError(error)}, 'amqp connection error'))
    model.on('close', (error?: Error) => {
      session.dead = true
      for (const wire of this.wires) wire.connectionLost(session)
      this.link.dropped(session, error ?? new Error('connection closed'))
    })
    model.on('blocked', (reason: string) => this.logger.warn({reason}, 'the broker blocked publishing (resource alarm); publishes wait'))
    return session
  }

  private async setUp(session: AmqpSession, reconnect: boolean): Promise<void> {
    if (!reconnect) return
    for (const wire of this.wires) if (wire.consumer.active) await wire.startOn(session)
  }
}

interface AmqpToken {
  channel: Channel
  message: ConsumeMessage
}

/** The wire side of one AMQP subscription: its channel and consumer tag. */
class AmqpWire implements BrokerConsumerWire<AmqpToken> {
  consumer!: BrokerConsumer<AmqpToken>
  private channel: {session: AmqpSession; channel: Channel} | undefined
  private consumerTag: string | undefined
  private ops: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly provider: AmqpQueueProvider,
    private readonly logger: Logger,
    private readonly destination: string,
    private readonly subscription: string,
    private readonly prefetch: number,
  ) {}

  /** The session is awaited outside the lock: a reconnect's `startOn` must never queue behind a wait for itself. */
  async start(): Promise<void> {
    const session = await this.provider.session()
    return this.serial(() => this.consume(session))
  }

  /** On a new connection (the link is not handing it out yet). */
  startOn(session: AmqpSession): Promise<void> {
    return this.serial(() => this.consume(session))
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      const tag = this.consumerTag
      const current = this.channel
      this.consumerTag = undefined
      if (tag !== undefined && current !== undefined && !CLOSED_CHANNELS.has(current.channel)) await current.channel.cancel(tag)
    })
  }

  settle(token: AmqpToken, outcome: 'ack' | 'requeue'): void {
    if (CLOSED_CHANNELS.has(token.channel)) return
    try {
      if (outcome === 'ack') token.channel.ack(token.message)
      else token.channel.nack(token.message, false, true)
    } catch {
      // The channel closed under us: the broker returns the message itself.
    }
  }

  /** Closing the channel hands every unacked message back to the broker. */
  release(): Promise<void> {
    return this.serial(async () => {
      const current = this.channel
      this.channel = undefined
      this.consumerTag = undefined
      if (current !== undefined && !CLOSED_CHANNELS.has(current.channel)) await current.channel.close()
    })
  }

  deadLetter(destination: string, body: string, headers: Readonly<Record<string, string>>): Promise<void> {
    return this.provider.publish(destination, body, {...headers})
  }

  connectionLost(session: AmqpSession): void {
    if (this.channel?.session !== session) return
    this.channel = undefined
    this.consumerTag = undefined
    this.consumer.connectionLost()
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.ops.then(work, work)
    this.ops = next.catch(() => undefined)
    return next
  }

  private async consume(session: AmqpSession): Promise<void> {
    if (!this.consumer.active || session.dead || this.consumerTag !== undefined && this.channel?.session === session) return
    let current = this.channel
    if (current === undefined || current.session !== session || CLOSED_CHANNELS.has(current.channel)) {
      const channel = await session.model.createChannel()
      current = {session, channel}
      this.channel = current
      watchChannel(channel, this.logger, () => {
        if (this.channel?.channel !== channel) return
        this.channel = undefined
        this.consumerTag = undefined
        if (session.dead) return // the whole connection went: the link re-subscribes
        // The broker closed this channel alone (a channel error): consume again on a fresh one.
        this.consumer.connectionLost()
        setTimeout(() => {
          if (this.consumer.active) void this.start().catch((error: unknown) => this.logger.warn({err: describeError(error), destination: this.destination}, 'could not consume again after a channel error'))
        }, 1000).unref()
      })
      await channel.prefetch(this.prefetch)
    }
    const channel = current.channel
    let queue: string
    if (isTopic(this.destination)) {
      const {exchange} = await this.provider.target(session, channel, this.destination)
      queue = amqpTopicQueue(this.destination, this.subscription)
      await channel.assertQueue(queue, {durable: false, expires: 60_000})
      await channel.bindQueue(queue, exchange, '')
    } else {
      queue = (await this.provider.target(session, channel, this.destination)).routingKey
    }
    const reply = await channel.consume(queue, (message) => {
      if (message === null) return // the broker cancelled us (queue deleted)
      this.consumer.deliver({channel, message}, toDelivery(this.destination, message), typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined)
    }, {noAck: false})
    this.consumerTag = reply.consumerTag
  }
}

function toDelivery(destination: string, message: ConsumeMessage) {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.properties.headers ?? {})) {
    if (value === undefined || value === null) continue
    headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
  const count = Number(headers['x-delivery-count'])
  const redelivered = message.fields.redelivered
  return {
    destination,
    body: message.content.toString('utf8'),
    headers,
    redelivered,
    deliveryCount: Number.isInteger(count) && count >= 0 ? count + 1 : redelivered ? 2 : 1,
  }
}

function watchChannel(channel: Channel, logger: Logger, onClose: () => void): void {
  channel.on('error', (error: Error) => logger.debug({err: describeError(error)}, 'amqp channel error'))
  channel.on('close', () => {
    CLOSED_CHANNELS.add(channel)
    onClose()
  })
}

function drained(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done)
      channel.off('close', done)
      resolve()
    }
    channel.on('drain', done)
    channel.on('close', done)
  })
}
