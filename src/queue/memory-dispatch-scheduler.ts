import {Deque} from './deque.js'

/** Something with messages to hand out; `dispatch` delivers at most `budget` and says how many. */
export interface Dispatchable {
  /** Set by the scheduler while the queue waits in its run list. */
  dispatchRequested: boolean
  dispatch(budget: number): number
  /** True while it has messages and a consumer ready for one. */
  readonly canDispatch: boolean
}

export interface MemoryDispatchSchedulerOptions {
  /** Deliveries between two yields to the event loop. */
  yieldEvery: number
  /** Deliveries one queue gets before the next dirty queue's turn. */
  slice: number
}

/**
 * Batches dispatch of every in-process queue on one tick: publishes and settlements only mark a
 * queue dirty, and one microtask hands out everything that can go. After `yieldEvery` deliveries
 * the next tick is a `setImmediate` instead, so a busy broker never starves timers and I/O (a
 * microtask chain would).
 *
 * Dirty queues take turns in slices of `slice` deliveries: fair between queues, and a message a
 * handler publishes downstream is consumed while still in the CPU cache (whole-prefetch turns
 * measured ~35% slower on a 3-queue chain of 1 KiB JSON messages).
 */
export class MemoryDispatchScheduler {
  private readonly runList = new Deque<Dispatchable>()
  private tickPending = false
  private sinceYield = 0

  private readonly yieldEvery: number
  private readonly slice: number

  constructor(options: MemoryDispatchSchedulerOptions) {
    this.yieldEvery = Math.max(1, options.yieldEvery)
    this.slice = Math.max(1, options.slice)
  }

  request(queue: Dispatchable): void {
    if (queue.dispatchRequested) return
    queue.dispatchRequested = true
    this.runList.push(queue)
    this.arm()
  }

  private arm(): void {
    if (this.tickPending) return
    this.tickPending = true
    if (this.sinceYield >= this.yieldEvery) setImmediate(this.runAfterYield)
    else queueMicrotask(this.runNow)
  }

  private readonly runAfterYield = (): void => {
    this.sinceYield = 0
    this.run()
  }

  private readonly runNow = (): void => {
    this.run()
  }

  private run(): void {
    this.tickPending = false
    while (this.runList.length > 0) {
      if (this.sinceYield >= this.yieldEvery) {
        this.arm()
        return
      }
      const queue = this.runList.shift() as Dispatchable
      this.sinceYield += queue.dispatch(Math.min(this.slice, this.yieldEvery - this.sinceYield))
      if (queue.canDispatch) this.runList.push(queue)
      else queue.dispatchRequested = false
    }
  }
}
