import {silentLogger, type Logger} from '../logging/logger.js'
import {MemoryConsumer} from './memory-consumer.js'
import {MemoryDispatchScheduler} from './memory-dispatch-scheduler.js'
import {DEFAULT_QUEUE_LIMITS, MemoryMessageQueue, type MemoryMessage, type MemoryQueueLimits} from './memory-message-queue.js'
import {providerClosedError, subscribeInvalidError} from './queue-errors.js'
import {
  isTopic,
  type DeliveryHandler,
  type PublishItem,
  type QueueProvider,
  type SubscribeOptions,
  type Subscription,
} from './types.js'

export interface MemoryQueueProviderOptions {
  logger?: Logger
  /** Deliveries handed out between two yields to the event loop (setImmediate). Default 1000. */
  yieldEvery?: number
  /** Deliveries one queue gets before another queue with work takes its turn. Default 32. */
  dispatchSlice?: number
  /** Per queue: how much waits before publishers are made to wait (defaults in `DEFAULT_QUEUE_LIMITS`). */
  limits?: Partial<MemoryQueueLimits>
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({})
const RESOLVED: Promise<void> = Promise.resolve()

/**
 * The in-process broker (`memory://`): real broker semantics without a broker, for local runs,
 * tests and benchmarks. Nothing survives the process.
 *
 * - `/queue/x` (also written `x`; any non-topic form is a queue): every consumer on it competes,
 *   whatever its subscription name; each message goes to exactly one. Messages published before
 *   anyone subscribes wait.
 * - `/topic/x`: each subscription name gets its own copy; consumers sharing a name compete.
 *   Publishing to a topic nobody subscribes to drops the message. A topic subscription lives while
 *   it has consumers (non-durable): when its last consumer closes, its waiting messages go too.
 * - Settlement: `ack` removes, `requeue` (or a throwing handler) puts the message at the back with
 *   `redelivered: true`, `reject` publishes body and headers to `deadLetterDestination` or drops
 *   it with a warning.
 * - Headers are copied on publish; bodies are shared (strings are immutable).
 * - Flow control: a queue holding more than its limits (2 000 messages or 64 Mi characters by
 *   default) still takes every message, but `publish` resolves only once it is back under three
 *   quarters of them, so a fast producer waits for a slow consumer instead of filling memory. It
 *   never waits on a queue whose consumers stopped taking messages (2 s by default): that could be
 *   the waiting publisher's own queue.
 */
export class MemoryQueueProvider implements QueueProvider {
  readonly kind = 'memory' as const
  private readonly logger: Logger
  private readonly scheduler: MemoryDispatchScheduler
  private readonly queues = new Map<string, MemoryMessageQueue>()
  /** topic name → subscription name → that subscription's queue. */
  private readonly topics = new Map<string, Map<string, MemoryMessageQueue>>()
  private readonly consumers = new Set<MemoryConsumer>()
  private readonly limits: MemoryQueueLimits
  private closing = false
  private closed = false
  private closePromise: Promise<void> | undefined

  constructor(options: MemoryQueueProviderOptions = {}) {
    this.logger = options.logger ?? silentLogger
    this.scheduler = new MemoryDispatchScheduler({yieldEvery: options.yieldEvery ?? 1000, slice: options.dispatchSlice ?? 32})
    this.limits = {...DEFAULT_QUEUE_LIMITS, ...options.limits}
  }

  /** Nothing to connect to; refuses once the provider is closing. */
  async connect(): Promise<void> {
    if (this.closing) throw providerClosedError(this.kind, 'connect')
  }

  publish(destination: string, body: string, headers?: Record<string, string>): Promise<void> {
    if (this.closed) return Promise.reject(providerClosedError(this.kind, 'publish'))
    const queue = this.route(destination, body, headers === undefined ? EMPTY_HEADERS : {...headers})
    if (queue !== undefined) return queue.full ? queue.waitForRoom() : RESOLVED
    return this.topicRoom(destination)
  }

  publishBatch(items: readonly PublishItem[]): Promise<void> {
    if (this.closed) return Promise.reject(providerClosedError(this.kind, 'publish'))
    let last: MemoryMessageQueue | undefined
    let queues: Set<MemoryMessageQueue> | undefined
    let topics: Set<string> | undefined
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      const queue = this.route(item.destination, item.body, item.headers === undefined ? EMPTY_HEADERS : {...item.headers})
      if (queue === undefined) (topics ??= new Set()).add(item.destination)
      else if (queue !== last) {
        if (last !== undefined) (queues ??= new Set()).add(last)
        last = queue
      }
    }
    // Checked once everything is routed: a batch is taken whole, then its publisher may wait.
    if (queues === undefined && topics === undefined) return last !== undefined && last.full ? last.waitForRoom() : RESOLVED
    const waits: Promise<void>[] = []
    if (last !== undefined) (queues ??= new Set()).add(last)
    for (const queue of queues ?? []) if (queue.full) waits.push(queue.waitForRoom())
    for (const topic of topics ?? []) {
      const wait = this.topicRoom(topic)
      if (wait !== RESOLVED) waits.push(wait)
    }
    return waits.length === 0 ? RESOLVED : Promise.all(waits).then(() => undefined)
  }

  /** Resolved when every subscription queue of `topic` has room; else resolves once they do. */
  private topicRoom(topic: string): Promise<void> {
    const subscriptions = this.topics.get(topicKey(topic))
    if (subscriptions === undefined) return RESOLVED
    let waits: Promise<void>[] | undefined
    for (const queue of subscriptions.values()) if (queue.full) (waits ??= []).push(queue.waitForRoom())
    return waits === undefined ? RESOLVED : Promise.all(waits).then(() => undefined)
  }

  async subscribe(destination: string, options: SubscribeOptions, handler: DeliveryHandler): Promise<Subscription> {
    if (this.closing) throw providerClosedError(this.kind, 'subscribe')
    const {subscription, prefetch, deadLetterDestination} = options
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw subscribeInvalidError(`prefetch must be an integer of at least 1, got ${prefetch}`, {destination, prefetch})
    }
    if (typeof subscription !== 'string' || subscription.length === 0) {
      throw subscribeInvalidError('subscription name must not be empty', {destination})
    }
    const queue = isTopic(destination) ? this.topicSubscriptionQueue(destination, subscription) : this.queueFor(destination)
    const consumer = new MemoryConsumer({
      queue,
      destination,
      subscription,
      prefetch,
      deadLetterDestination,
      handler,
      logger: this.logger,
      deadLetter: (target, message) => this.route(target, message.body, message.headers),
      onClosed: (closed) => this.forget(closed, destination, subscription, queue),
    })
    this.consumers.add(consumer)
    queue.addConsumer(consumer)
    return consumer
  }

  /** Messages waiting (not handed out) on a queue; 0 for an unknown queue, undefined for a topic. */
  async depth(destination: string): Promise<number | undefined> {
    if (isTopic(destination)) return undefined
    return this.queues.get(queueKey(destination))?.pending.length ?? 0
  }

  /**
   * Drops a queue and its waiting messages. A queue that still has consumers keeps them (emptied);
   * topics are not deleted (their subscriptions vanish with their consumers).
   */
  async deleteQueue(destination: string): Promise<void> {
    if (isTopic(destination)) return
    const key = queueKey(destination)
    const queue = this.queues.get(key)
    if (queue === undefined) return
    queue.purge()
    if (queue.consumerCount === 0) this.queues.delete(key)
  }

  /** Closes every subscription (draining in-flight handlers), then refuses publishes and drops all messages. */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown()
    return this.closePromise
  }

  private async shutdown(): Promise<void> {
    this.closing = true
    await Promise.all([...this.consumers].map((consumer) => consumer.close()))
    this.closed = true
    for (const queue of this.queues.values()) queue.purge()
    this.queues.clear()
    this.topics.clear()
  }

  /** Enqueues the message; returns the point-to-point queue it went to (undefined for a topic). */
  private route(destination: string, body: string, headers: Readonly<Record<string, string>>): MemoryMessageQueue | undefined {
    if (isTopic(destination)) {
      const subscriptions = this.topics.get(topicKey(destination))
      if (subscriptions === undefined) return undefined
      for (const queue of subscriptions.values()) queue.enqueue({body, headers, deliveries: 0})
      return undefined
    }
    const queue = this.queueFor(destination)
    queue.enqueue({body, headers, deliveries: 0} satisfies MemoryMessage)
    return queue
  }

  private queueFor(destination: string): MemoryMessageQueue {
    const key = queueKey(destination)
    let queue = this.queues.get(key)
    if (queue === undefined) {
      queue = new MemoryMessageQueue(this.scheduler, this.limits)
      this.queues.set(key, queue)
    }
    return queue
  }

  private topicSubscriptionQueue(destination: string, subscription: string): MemoryMessageQueue {
    const key = topicKey(destination)
    let subscriptions = this.topics.get(key)
    if (subscriptions === undefined) {
      subscriptions = new Map()
      this.topics.set(key, subscriptions)
    }
    let queue = subscriptions.get(subscription)
    if (queue === undefined) {
      queue = new MemoryMessageQueue(this.scheduler, this.limits)
      subscriptions.set(subscription, queue)
    }
    return queue
  }

  private forget(consumer: MemoryConsumer, destination: string, subscription: string, queue: MemoryMessageQueue): void {
    this.consumers.delete(consumer)
    if (!isTopic(destination) || queue.consumerCount > 0) return
    const key = topicKey(destination)
    const subscriptions = this.topics.get(key)
    if (subscriptions?.get(subscription) !== queue) return
    queue.purge()
    subscriptions.delete(subscription)
    if (subscriptions.size === 0) this.topics.delete(key)
  }
}

/** `/queue/x` and `x` name the same queue (as on AMQP); other forms are kept whole. */
function queueKey(destination: string): string {
  return destination.startsWith('/queue/') ? destination.slice(7) : destination
}

function topicKey(destination: string): string {
  return destination.slice(7)
}
