import {Deque} from './deque.js'
import type {Dispatchable, MemoryDispatchScheduler} from './memory-dispatch-scheduler.js'
import type {MemoryConsumer} from './memory-consumer.js'

/** One stored message. `deliveries` counts hand-outs, so redelivery shows as `deliveries > 1`. */
export interface MemoryMessage {
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  deliveries: number
}

/**
 * One in-process queue: the messages waiting and the consumers competing for them. A
 * point-to-point queue is one of these; a topic keeps one per subscription name. Consumers are
 * served round-robin, skipping those paused, closing or at their prefetch.
 */
export class MemoryMessageQueue implements Dispatchable {
  dispatchRequested = false
  readonly pending = new Deque<MemoryMessage>()
  private consumers: MemoryConsumer[] = []
  private cursor = 0

  constructor(private readonly scheduler: MemoryDispatchScheduler) {}

  get consumerCount(): number {
    return this.consumers.length
  }

  get canDispatch(): boolean {
    return this.pending.length > 0 && this.nextReadyIndex() >= 0
  }

  enqueue(message: MemoryMessage): void {
    this.pending.push(message)
    if (this.consumers.length > 0) this.scheduler.request(this)
  }

  /** Requeue after a nack: at the back, like a broker. */
  requeue(message: MemoryMessage): void {
    this.enqueue(message)
  }

  /** Unsettled messages of a closing consumer go back to the front, keeping their order. */
  returnUnsettled(messages: readonly MemoryMessage[]): void {
    for (let i = messages.length - 1; i >= 0; i--) this.pending.unshift(messages[i])
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
  }

  dispatch(budget: number): number {
    let delivered = 0
    while (delivered < budget && this.pending.length > 0) {
      const index = this.nextReadyIndex()
      if (index < 0) break
      this.cursor = index + 1 === this.consumers.length ? 0 : index + 1
      this.consumers[index].deliver(this.pending.shift() as MemoryMessage)
      delivered++
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
