/**
 * A concurrency limiter whose limit adapts (docs/reference/engine.md, "Backpressure"): additive increase while
 * messages finish under `targetLatencyMs`, multiplicative decrease (halving) when they take longer,
 * between `min` and `max`. `acquire()` is synchronous while a slot is free, so the hot path
 * allocates no promise.
 */
export interface AimdLimiterOptions {
  initial: number
  min: number
  max: number
  targetLatencyMs: number
}

export class AimdLimiter {
  private limitValue: number
  private active = 0
  private readonly waiters: Array<() => void> = []
  private waitersHead = 0
  /** Avoid halving more than once per "round" of completions. */
  private lastDecreaseAt = 0

  constructor(private readonly options: AimdLimiterOptions) {
    this.limitValue = clamp(options.initial, options.min, options.max)
  }

  get limit(): number {
    return this.limitValue
  }

  get inFlight(): number {
    return this.active
  }

  /** Returns undefined when a slot was taken at once, otherwise a promise for it. */
  acquire(): Promise<void> | undefined {
    if (this.active < Math.floor(this.limitValue)) {
      this.active++
      return undefined
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  /**
   * Takes a slot only if one is free now (fan-out elements borrowing spare capacity): never queues,
   * so a caller holding a slot already cannot wait on one that only it could free.
   */
  tryAcquire(): boolean {
    if (this.active < Math.floor(this.limitValue) && this.waitersHead === this.waiters.length) {
      this.active++
      return true
    }
    return false
  }

  /** Gives the slot back; `latencyMs` (when the work completed) steers the limit. */
  release(latencyMs?: number): void {
    this.active--
    if (latencyMs !== undefined) this.adjust(latencyMs)
    this.drain()
  }

  /** Steers the limit with the latency of work done inside a slot that stays taken (a fan-out element). */
  observe(latencyMs: number): void {
    this.adjust(latencyMs)
  }

  private adjust(latencyMs: number): void {
    const {min, max, targetLatencyMs} = this.options
    if (latencyMs > targetLatencyMs) {
      const now = performance.now()
      if (now - this.lastDecreaseAt > targetLatencyMs) {
        this.limitValue = Math.max(min, Math.floor(this.limitValue / 2))
        this.lastDecreaseAt = now
      }
    } else if (this.limitValue < max) {
      // +1 per full window of completions: roughly +1 per round trip, as TCP does.
      this.limitValue = Math.min(max, this.limitValue + 1 / this.limitValue)
    }
  }

  private drain(): void {
    while (this.active < Math.floor(this.limitValue) && this.waitersHead < this.waiters.length) {
      this.active++
      const wake = this.waiters[this.waitersHead]!
      this.waiters[this.waitersHead++] = undefined as unknown as () => void
      wake()
    }
    if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waitersHead)
      this.waitersHead = 0
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value))
}
