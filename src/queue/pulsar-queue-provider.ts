import {randomUUID} from 'node:crypto'

import {isFactflowError} from '../errors/index.js'
import {silentLogger, type Logger} from '../logging/logger.js'
import {startBrokerConsumer} from './broker-consumer.js'
import {BrokerLink, DEFAULT_RECONNECT, type ReconnectPolicy} from './broker-link.js'
import {redactUrl} from './broker-url.js'
import {ID_PROPERTY, PulsarConsumerWire, type PulsarToken} from './pulsar-consumer-wire.js'
import {pulsarEndpoint, pulsarTopic, QUEUE_SUBSCRIPTION, type PulsarEndpoint, type PulsarTopic} from './pulsar-names.js'
import {PulsarProducer, type PulsarOutgoing} from './pulsar-producer.js'
import {PulsarSocket} from './pulsar-socket.js'
import {brokerUnreachableError, providerClosedError, subscribeInvalidError} from './queue-errors.js'
import {SettledIds} from './settled-ids.js'
import type {DeliveryHandler, PublishItem, QueueProvider, SubscribeOptions, Subscription} from './types.js'

export interface PulsarQueueProviderOptions {
  /** `pulsar://[:token@]host[:port][/tenant/namespace]` without factflow's reconnect parameters. */
  url: string
  logger?: Logger
  reconnect?: ReconnectPolicy
  /** Handshake timeout of one WebSocket, ms. Default 10 000. */
  connectTimeoutMs?: number
  /** WebSocket ping interval, ms (0 turns it off). Default 10 000. */
  heartbeatMs?: number
  /** `negativeAckRedeliveryDelay` of every consumer, ms. Default 100 (Pulsar's own default is a minute). */
  nackRedeliveryDelayMs?: number
  /** A topic's producer socket unused this long is closed, ms. Default 60 000. */
  producerIdleMs?: number
}

/**
 * Apache Pulsar over its WebSocket API (`pulsar://`, with `ws`; the binary client `pulsar-client`
 * cannot be installed here). Every producer and consumer is a WebSocket of its own.
 *
 * - `/queue/x`, `x`, `persistent://t/ns/x` are a persistent topic read through one Shared
 *   subscription, `factflow`, that every consumer competes on. The provider makes sure that
 *   subscription exists before it first publishes to a queue (a consumer opened in pull mode and
 *   closed), so messages published before anyone consumes wait, as on a queue.
 * - `/topic/x` is the persistent topic `x`; each subscription name is its own Shared subscription
 *   (consumers sharing the name compete), unsubscribed when its last consumer closes.
 * - Publishes resolve on the producer endpoint's `ok`. Each message carries a `factflow-id`
 *   property; a redelivery of a message this process already settled is acked without a second run.
 * - `prefetch` is the consumer's `receiverQueueSize` (at most 1000, the API's cap; the client never
 *   runs more handlers than the prefetch); `requeue` is a negative ack, redelivered after
 *   `nackRedeliveryDelayMs` with `redeliveryCount` raised (delivery counts are exact); `reject`
 *   publishes body and properties to the dead-letter destination, then acks.
 * - A dropped socket is reopened with back-off (`BrokerLink`), publishes wait; past the deadline
 *   everything fails with `QUEUE_BROKER_UNAVAILABLE`.
 * - `deleteQueue` closes the queue's producer and unsubscribes `factflow`; the broker then deletes
 *   the topic as inactive (`brokerDeleteInactiveTopicsEnabled`, on by default).
 */
export class PulsarQueueProvider implements QueueProvider {
  readonly kind = 'pulsar' as const
  private readonly logger: Logger
  private readonly endpoint: PulsarEndpoint
  private readonly shown: string
  private readonly policy: ReconnectPolicy
  private readonly producers = new Map<string, PulsarProducer>()
  /** Queues whose shared subscription is known to exist (created or subscribed by this process). */
  private readonly ensured = new Map<string, Promise<void>>()
  private readonly wires = new Set<PulsarConsumerWire>()
  private readonly settledIds = new SettledIds()
  private readonly failedListeners = new Set<(error: Error) => void>()
  private readonly sweeper: NodeJS.Timeout
  private failure: Error | undefined
  private closing = false
  private closed = false
  private closePromise: Promise<void> | undefined

  constructor(private readonly options: PulsarQueueProviderOptions) {
    this.logger = options.logger ?? silentLogger
    const url = new URL(options.url)
    this.shown = redactUrl(url)
    this.endpoint = pulsarEndpoint(url)
    this.policy = options.reconnect ?? DEFAULT_RECONNECT
    const idleMs = options.producerIdleMs ?? 60_000
    this.sweeper = setInterval(() => this.closeIdleProducers(idleMs), Math.max(100, idleMs / 2))
    this.sweeper.unref()
  }

  /**
   * Checks that the web service answers HTTP (any status: the WebSocket upgrades that follow say
   * whether the token is accepted). Nothing stays open: each producer and consumer opens its own.
   */
  async connect(): Promise<void> {
    if (this.closing) throw providerClosedError(this.kind, 'connect')
    await this.probe()
  }

  onUnavailable(listener: (error: Error) => void): () => void {
    this.failedListeners.add(listener)
    return () => this.failedListeners.delete(listener)
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
    if (this.failure !== undefined) throw this.failure
    const topic = pulsarTopic(destination, this.endpoint)
    const wire = new PulsarConsumerWire({
      endpoint: this.endpoint, topic, subscription, prefetch, destination, shown: this.shown, logger: this.logger, policy: this.policy,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000, heartbeatMs: this.options.heartbeatMs ?? 10_000,
      nackRedeliveryDelayMs: this.options.nackRedeliveryDelayMs ?? 100,
      deadLetter: (target, body, headers) => this.publish(target, body, {...headers}),
      onFailed: (error) => this.failed(error),
    })
    const consumer = await startBrokerConsumer<PulsarToken, typeof wire>(this.wires, wire, {
      destination, subscription, prefetch, deadLetterDestination, handler, settledIds: this.settledIds, logger: this.logger,
    })
    if (topic.kind === 'queue') this.ensured.set(topic.name, Promise.resolve())
    return consumer
  }

  /**
   * Always undefined: the WebSocket API cannot tell a backlog (the admin REST API can, with other
   * rights). Still a liveness check for health probes: throws when the web service does not answer
   * or the provider gave up on the broker.
   */
  async depth(): Promise<number | undefined> {
    if (this.failure !== undefined) throw this.failure
    await this.probe()
    return undefined
  }

  /**
   * Drops a queue: closes this process's producer for it and unsubscribes its shared subscription
   * (with what it holds), after which the broker deletes the inactive topic. Topics are shared and
   * stay. Skipped when the broker is away (the subscription then stays until deleted by an admin).
   */
  async deleteQueue(destination: string): Promise<void> {
    const topic = pulsarTopic(destination, this.endpoint)
    if (topic.kind === 'topic') return
    this.ensured.delete(topic.name)
    const producer = this.producers.get(topic.name)
    this.producers.delete(topic.name)
    await producer?.close()
    if (this.closed || this.failure !== undefined) return
    const socket = await this.openQueueSubscription(topic)
    socket.send({type: 'unsubscribe'})
    await socket.close()
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closing = true
      await Promise.all([...this.wires].map((wire) => wire.consumer.close()))
      this.closed = true
      clearInterval(this.sweeper)
      const producers = [...this.producers.values()]
      this.producers.clear()
      await Promise.all(producers.map((producer) => producer.close()))
    })()
    return this.closePromise
  }

  private async probe(): Promise<void> {
    const http = this.endpoint.base.replace(/^ws/, 'http')
    try {
      const response = await fetch(`${http}/`, {signal: AbortSignal.timeout(this.options.connectTimeoutMs ?? 10_000)})
      await response.body?.cancel()
    } catch (error) {
      // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
      throw brokerUnreachableError(this.kind, this.shown, error instanceof Error && error.cause !== undefined ? error.cause : error)
    }
  }

  private async send(items: readonly PublishItem[]): Promise<void> {
    if (this.closed) throw providerClosedError(this.kind, 'publish')
    if (this.failure !== undefined) throw this.failure
    // One id per message for all attempts: a resend after a lost answer is recognised downstream.
    const byTopic = new Map<string, {topic: PulsarTopic; messages: PulsarOutgoing[]}>()
    for (const item of items) {
      const topic = pulsarTopic(item.destination, this.endpoint)
      let group = byTopic.get(topic.name)
      if (group === undefined) {
        group = {topic, messages: []}
        byTopic.set(topic.name, group)
      }
      group.messages.push({body: item.body, properties: {...item.headers, [ID_PROPERTY]: randomUUID()}, confirmed: false})
    }
    try {
      await Promise.all([...byTopic.values()].map(async ({topic, messages}) => {
        if (topic.kind === 'queue') await this.ensureQueue(topic)
        const producer = this.producer(topic)
        try {
          await producer.send(messages)
        } catch (error) {
          // A refused producer (permissions, a bad name) is not kept: the next publish asks again.
          if (isFactflowError(error) && error.code === 'QUEUE_BROKER_REFUSED' && this.producers.get(topic.name) === producer) {
            this.producers.delete(topic.name)
            void producer.close()
          }
          throw error
        }
      }))
    } catch (error) {
      if (this.closed) throw providerClosedError(this.kind, 'publish')
      throw error
    }
  }

  private producer(topic: PulsarTopic): PulsarProducer {
    let producer = this.producers.get(topic.name)
    if (producer === undefined) {
      producer = new PulsarProducer({
        topic, base: this.endpoint.base, token: this.endpoint.token, shown: this.shown, logger: this.logger, policy: this.policy,
        connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000, heartbeatMs: this.options.heartbeatMs ?? 10_000,
        onFailed: (error) => this.failed(error),
      })
      this.producers.set(topic.name, producer)
    }
    return producer
  }

  /** Creates the queue's shared subscription once, so that what is published before any consumer waits. */
  private ensureQueue(topic: PulsarTopic): Promise<void> {
    let ensured = this.ensured.get(topic.name)
    if (ensured === undefined) {
      ensured = this.openQueueSubscription(topic).then((socket) => socket.close())
      ensured.catch(() => this.ensured.delete(topic.name))
      this.ensured.set(topic.name, ensured)
    }
    return ensured
  }

  /** A consumer on the queue's shared subscription in pull mode: it is given nothing until it asks. */
  private async openQueueSubscription(topic: PulsarTopic): Promise<PulsarSocket> {
    const url = `${this.endpoint.base}/ws/v2/consumer/${topic.path}/${QUEUE_SUBSCRIPTION}?subscriptionType=Shared&pullMode=true`
    const link = new BrokerLink<PulsarSocket>({
      kind: this.kind, shown: this.shown, logger: this.logger, policy: this.policy,
      open: () => PulsarSocket.open({
        url, token: this.endpoint.token, shown: this.shown, connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000, heartbeatMs: 0,
        onMessage: () => undefined, onLost: () => undefined,
      }),
      setUp: async () => undefined,
      dispose: (socket) => socket.close(),
    })
    link.startPatiently()
    return link.current()
  }

  private closeIdleProducers(idleMs: number): void {
    const before = Date.now() - idleMs
    for (const [name, producer] of this.producers) {
      if (!producer.idle || producer.lastUsed > before) continue
      this.producers.delete(name)
      void producer.close()
    }
  }

  /** A socket's link gave up (broker away past the deadline): tell the listeners, once. */
  private failed(error: Error): void {
    if (this.failure !== undefined) return
    this.failure = error
    for (const listener of [...this.failedListeners]) listener(error)
  }
}
