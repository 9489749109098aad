import {describeError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {MemoryMessage, MemoryMessageQueue} from './memory-message-queue.js'
import type {DeliveryHandler, Outcome, Subscription, SubscriptionCloseOptions} from './types.js'

export interface MemoryConsumerOptions {
  queue: MemoryMessageQueue
  /** The destination as the subscriber wrote it (reported on each delivery). */
  destination: string
  subscription: string
  prefetch: number
  deadLetterDestination: string | undefined
  handler: DeliveryHandler
  logger: Logger
  /** Publishes a rejected message's body and headers to the dead-letter destination. */
  deadLetter(destination: string, message: MemoryMessage): void
  /** Called once the consumer has drained and left its queue. */
  onClosed(consumer: MemoryConsumer): void
}

/**
 * One `subscribe` call: runs the handler on up to `prefetch` deliveries at once and applies each
 * outcome. Unsettled messages are tracked so `close` can return them to the queue.
 */
export class MemoryConsumer implements Subscription {
  private inFlight = 0
  private readonly unsettled = new Set<MemoryMessage>()
  private paused = false
  private closing = false
  private closePromise: Promise<void> | undefined
  private drained: (() => void) | undefined

  constructor(private readonly options: MemoryConsumerOptions) {}

  /** True when it can take one more delivery. */
  get ready(): boolean {
    return !this.paused && !this.closing && this.inFlight < this.options.prefetch
  }

  deliver(message: MemoryMessage): void {
    this.inFlight++
    this.unsettled.add(message)
    message.deliveries++
    void this.run(message)
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    if (!this.closing) this.options.queue.wake()
  }

  close(options: SubscriptionCloseOptions = {}): Promise<void> {
    this.closePromise ??= this.drainAndLeave(options.drainTimeoutMs)
    return this.closePromise
  }

  private async run(message: MemoryMessage): Promise<void> {
    let outcome: Outcome
    try {
      outcome = await this.options.handler({
        destination: this.options.destination,
        body: message.body,
        headers: message.headers,
        redelivered: message.deliveries > 1,
        deliveryCount: message.deliveries,
      })
    } catch (error) {
      this.options.logger.warn({destination: this.options.destination, error: describeError(error)}, 'queue handler threw; message requeued')
      outcome = 'requeue'
    }
    this.settle(message, outcome)
  }

  private settle(message: MemoryMessage, outcome: Outcome): void {
    // Already handed back by a close that stopped waiting: the late outcome no longer applies.
    if (!this.unsettled.delete(message)) return
    this.inFlight--
    if (outcome === 'reject') this.reject(message)
    else if (outcome !== 'ack') {
      if (outcome !== 'requeue') {
        this.options.logger.warn({destination: this.options.destination, outcome}, 'queue handler returned an unknown outcome; message requeued')
      }
      this.options.queue.requeue(message)
    }
    if (this.closing) {
      if (this.inFlight === 0) this.drained?.()
    } else if (this.inFlight < this.options.prefetch && !this.paused) {
      this.options.queue.wake()
    }
  }

  private reject(message: MemoryMessage): void {
    const target = this.options.deadLetterDestination
    if (target === undefined) {
      this.options.logger.warn(
        {destination: this.options.destination, subscription: this.options.subscription},
        'message rejected with no dead-letter destination; dropped',
      )
      return
    }
    this.options.deadLetter(target, message)
  }

  private async drainAndLeave(drainTimeoutMs: number | undefined): Promise<void> {
    this.closing = true
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.drained = resolve
        if (drainTimeoutMs !== undefined) timer = setTimeout(resolve, Math.max(0, drainTimeoutMs))
      })
      clearTimeout(timer)
    }
    const returned = [...this.unsettled]
    this.unsettled.clear()
    this.inFlight = 0
    if (returned.length > 0) {
      this.options.logger.debug({destination: this.options.destination, count: returned.length}, 'returning unsettled messages to the queue')
    }
    this.options.queue.returnUnsettled(returned)
    this.options.queue.removeConsumer(this)
    this.options.onClosed(this)
  }
}
