import {Deque} from './deque.js'
import type {Dispatchable, MemoryDispatchScheduler} from './memory-dispatch-scheduler.js'
import type {MemoryConsumer} from './memory-consumer.js'
import {WaitGate} from '../engine/wait-gate.js'

/** One stored message. `deliveries` counts hand-outs, so redelivery shows as `deliveries > 1`. */
export interface MemoryMessage {
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  deliveries: number
}

/** How much one queue holds before its publishers wait (docs/reference/engine.md, "Backpressure"). */
export interface MemoryQueueLimits {
  /** Waiting messages (default 2 000). */
  maxDepth: number
  /** Characters of waiting message bodies (default 64 Mi, ~64 MB of ASCII JSON). */
  maxChars: number
  /**
   * Publishers wait only while consumers keep taking messages: when none was taken for this long
   * (its consumers are stuck, say, waiting to publish into this very queue), they go on (default 2 s).
   */
  stallMs: number
}

export const DEFAULT_QUEUE_LIMITS: MemoryQueueLimits = {maxDepth: 2_000, maxChars: 64 * 1024 * 1024, stallMs: 2_000}

/**
 * One in-process queue: the messages waiting and the consumers competing for them. A
 * point-to-point queue is one of these; a topic keeps one per subscription name. Consumers are
 * served round-robin, skipping those paused, closing or at their prefetch.
 *
 * Flow control: a publish is always accepted (never dropped), but past `limits` the publisher is
 * told to wait (`full`, `waitForRoom`) until the queue is back under three quarters of them, so a
 * slow route makes its upstream wait instead of the process filling its memory.
 */
export class MemoryMessageQueue implements Dispatchable {
  dispatchRequested = false
  readonly pending = new Deque<MemoryMessage>()
  private consumers: MemoryConsumer[] = []
  private cursor = 0
  /** Characters of the waiting bodies. */
  private chars = 0
  /** Publishers waiting for room; stalled when consumers took nothing for `stallMs`. */
  private readonly room: WaitGate

  constructor(private readonly scheduler: MemoryDispatchScheduler, private readonly limits: MemoryQueueLimits = DEFAULT_QUEUE_LIMITS) {
    this.room = new WaitGate(limits.stallMs)
  }

  /** At or past a limit, and its consumers are taking messages: a publisher should wait. */
  get full(): boolean {
    return (this.pending.length >= this.limits.maxDepth || this.chars >= this.limits.maxChars) && !this.room.stalled
  }

  /** Resolves once the queue is back under three quarters of its limits (or stalls, or is purged). */
  waitForRoom(): Promise<void> {
    return this.room.wait()
  }

  get consumerCount(): number {
    return this.consumers.length
  }

  get canDispatch(): boolean {
    return this.pending.length > 0 && this.nextReadyIndex() >= 0
  }

  enqueue(message: MemoryMessage): void {
    this.pending.push(message)
    this.chars += message.body.length
    if (this.consumers.length > 0) this.scheduler.request(this)
  }

  /** Requeue after a nack: at the back, like a broker. */
  requeue(message: MemoryMessage): void {
    this.enqueue(message)
  }

  /** Unsettled messages of a closing consumer go back to the front, keeping their order. */
  returnUnsettled(messages: readonly MemoryMessage[]): void {
    for (let i = messages.length - 1; i >= 0; i--) {
      this.pending.unshift(messages[i])
      this.chars += messages[i].body.length
    }
    if (messages.length > 0 && this.consumers.length > 0) this.scheduler.request(this)
  }

  /** A consumer gained capacity (settled, resumed, joined). */
  wake(): void {
    if (this.pending.length > 0 && this.consumers.length > 0) this.scheduler.request(this)
  }

  addConsumer(consumer: MemoryConsumer): void {
    this.consumers.push(consumer)
    this.wake()
  }

  removeConsumer(consumer: MemoryConsumer): void {
    this.consumers = this.consumers.filter((c) => c !== consumer)
    this.cursor = 0
    this.wake()
  }

  /** Drops every waiting message (deleteQueue, provider close). */
  purge(): void {
    this.pending.clear()
    this.chars = 0
    this.room.release()
  }

  dispatch(budget: number): number {
    let delivered = 0
    while (delivered < budget && this.pending.length > 0) {
      const index = this.nextReadyIndex()
      if (index < 0) break
      this.cursor = index + 1 === this.consumers.length ? 0 : index + 1
      const message = this.pending.shift() as MemoryMessage
      this.chars -= message.body.length
      this.consumers[index].deliver(message)
      delivered++
    }
    if (delivered > 0) {
      this.room.progress()
      if (this.room.waiting > 0 && this.pending.length <= this.limits.maxDepth * 0.75 &&
        this.chars <= this.limits.maxChars * 0.75) this.room.release()
    }
    return delivered
  }

  private nextReadyIndex(): number {
    const count = this.consumers.length
    for (let i = 0; i < count; i++) {
      let index = this.cursor + i
      if (index >= count) index -= count
      if (this.consumers[index].ready) return index
    }
    return -1
  }
}
