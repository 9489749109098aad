import {Deque} from '../queue/deque.js'

/** Where a fan-out's extra workers get their slots: the route's limiter. */
export interface SlotSource {
  /** A free slot now, or false; never waits (see `FanOutPool`). */
  tryAcquire(): boolean
  release(latencyMs?: number): void
  /** Latency of work done inside a slot that stays taken. */
  observe(latencyMs: number): void
}

export interface FanOutPoolOptions<T> {
  /** Runs one element to the end of its path (through the rest of the chain, published). */
  run(element: T): Promise<void>
  slots: SlotSource
  signal: AbortSignal
  /** Workers at most, the parent's own included (the route's concurrency). */
  maxWorkers: number
  /** Elements waiting, past which a streaming source is made to wait (keeps memory flat). */
  highWater: number
  /**
   * Asked when an element throws: true lets the other elements run on (the first such failure is
   * kept and `run()` rejects with it once everything ended); false, or no function, stops the pool.
   */
  keepGoing?(error: unknown): boolean
}

/**
 * The elements of one delivered message's fan-out (docs/reference/engine.md, "Processing one message", 3),
 * each run on its own as soon as a worker is free: a pool, not batches.
 *
 * Slots: the parent message holds one slot of its route for its whole life; that slot is this
 * pool's own worker (`run()`), so a fan-out always progresses even when every other slot of the
 * route is taken, by other parents waiting on their own elements say. Extra workers borrow free
 * slots of the route with `tryAcquire` (never waiting on the limiter, which could deadlock: slots
 * held by parents are freed only when their elements are done) and give each slot back after one
 * element, so deliveries waiting for a slot get it before the pool borrows it again. A fan-out
 * alone on its route runs `concurrency` elements at once; on a busy route it shares fairly down to
 * its own one slot.
 *
 * Failure: an element that throws stops the pool unless `keepGoing` says otherwise: no further
 * element starts, those running finish, sources stop, and `run()` rejects with that error (the
 * parent is then retried or dead-lettered as one message). With `keepGoing`, the other elements run
 * to the end and `run()` rejects with the first such error afterwards. A source that fails always
 * stops the pool. Cancellation likewise: an aborted signal with elements still waiting rejects, so
 * the parent goes back to the queue rather than being acked short.
 */
export class FanOutPool<T> {
  private readonly waiting = new Deque<T>()
  /** Workers running an element or waiting for one, the parent's own included. */
  private workers = 1
  private ownIdle = false
  private sources = 0
  private failure: {error: unknown} | undefined
  /** The first element failure that let the others run on (`keepGoing`). */
  private deferred: {error: unknown} | undefined
  private wakeOwn: (() => void) | undefined
  private readonly roomWaiters: Array<() => void> = []

  constructor(private readonly options: FanOutPoolOptions<T>) {}

  /** True once an element failed or the execution was cancelled: sources should stop producing. */
  get stopped(): boolean {
    return this.failure !== undefined || this.options.signal.aborted
  }

  push(element: T): void {
    if (this.failure) return
    this.waiting.push(element)
    this.grow()
    this.wake()
  }

  /**
   * A streaming source (an adapter's async iterable) feeds the pool until `done` settles; the pool
   * does not finish before it. A rejected `done` fails the pool like an element.
   */
  addSource(done: Promise<void>): void {
    this.sources++
    done.then(
      () => this.sourceEnded(undefined),
      (error: unknown) => this.sourceEnded({error}),
    )
  }

  /** For a source: undefined while there is room, else a promise for it (or for the pool to stop). */
  room(): Promise<void> | undefined {
    if (this.waiting.length < this.options.highWater || this.stopped) return undefined
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /**
   * The parent's own worker: runs elements until every element and source is done. Rejects with the
   * first failure, or with the abort reason when cancelled before everything ran.
   */
  async run(): Promise<void> {
    for (;;) {
      const element = this.next()
      if (element !== undefined) {
        const started = performance.now()
        if (await this.runOne(element)) this.options.slots.observe(performance.now() - started)
        continue
      }
      if (this.workers === 1 && this.sources === 0) break
      this.ownIdle = true
      await new Promise<void>((resolve) => { this.wakeOwn = resolve })
      this.ownIdle = false
    }
    this.workers--
    if (this.failure) throw this.failure.error
    if (this.deferred) throw this.deferred.error
  }

  private next(): T | undefined {
    if (this.failure) return undefined
    if (this.options.signal.aborted) {
      if (this.waiting.length > 0 || this.sources > 0) this.fail(this.options.signal.reason ?? new Error('aborted'))
      return undefined
    }
    const element = this.waiting.shift()
    if (element !== undefined && this.roomWaiters.length > 0 && this.waiting.length < this.options.highWater / 2) this.releaseRoom()
    return element
  }

  /** Starts extra workers on borrowed slots for elements the own worker cannot take now. */
  private grow(): void {
    let spare = this.waiting.length - (this.ownIdle ? 1 : 0)
    while (spare > 0 && this.workers < this.options.maxWorkers && !this.stopped && this.options.slots.tryAcquire()) {
      this.workers++
      spare--
      void this.extra()
    }
  }

  private async extra(): Promise<void> {
    const element = this.next()
    let latency: number | undefined
    if (element !== undefined) {
      const started = performance.now()
      if (await this.runOne(element)) latency = performance.now() - started
    }
    this.workers--
    this.options.slots.release(latency)
    this.grow()
    this.wake()
  }

  private async runOne(element: T): Promise<boolean> {
    try {
      await this.options.run(element)
      return true
    } catch (error) {
      if (this.options.keepGoing?.(error) === true && !this.options.signal.aborted) this.deferred ??= {error}
      else this.fail(error)
      return false
    }
  }

  private fail(error: unknown): void {
    if (this.failure) return
    this.failure = {error}
    this.waiting.clear()
    this.releaseRoom()
  }

  private sourceEnded(failure: {error: unknown} | undefined): void {
    this.sources--
    if (failure) this.fail(failure.error)
    this.wake()
  }

  private wake(): void {
    const wake = this.wakeOwn
    if (wake) {
      this.wakeOwn = undefined
      wake()
    }
  }

  private releaseRoom(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve()
  }
}
