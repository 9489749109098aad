import {abortError} from './llm-errors.js'

/** How a call under the limiter ended: success grows the limit, rate_limited halves it, other leaves it. */
export type LimiterOutcome = 'success' | 'rate_limited' | 'other'

export interface LlmConcurrencyLimiterOptions {
  /** Start and ceiling (the profile's `max_concurrency`, default 50). */
  max: number
  /** Floor the limit never halves below (default 5, or `max` when that is smaller). */
  min?: number
}

/** Gives the slot back and reports how the call went. Idempotent. */
export type ReleaseSlot = (outcome: LimiterOutcome) => void

/**
 * Adaptive concurrency for one LLM profile (docs/reference/adapters.md): AIMD starting at `max`, +1 per
 * success up to `max`, halved on a 429 down to `min`. 429s from calls that started before the last
 * halving do not halve again (one burst of rejections is one signal, as in TCP). Waiters are served
 * in arrival order; a waiter whose signal aborts leaves the queue with an `AbortError`.
 */
export class LlmConcurrencyLimiter {
  private current: number
  private active = 0
  private generation = 0
  private readonly min: number
  private readonly waiters: Array<{wake: () => void}> = []

  constructor(private readonly options: LlmConcurrencyLimiterOptions) {
    this.min = Math.min(options.min ?? 5, options.max)
    this.current = options.max
  }

  get limit(): number { return this.current }
  get inFlight(): number { return this.active }
  get waiting(): number { return this.waiters.length }

  async acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) throw abortError(signal)
    if (this.active >= this.current || this.waiters.length > 0) {
      await new Promise<void>((resolve, reject) => {
        const waiter = {wake: () => { signal?.removeEventListener('abort', onAbort); resolve() }}
        const onAbort = () => {
          const index = this.waiters.indexOf(waiter)
          if (index >= 0) this.waiters.splice(index, 1)
          reject(abortError(signal))
        }
        signal?.addEventListener('abort', onAbort, {once: true})
        this.waiters.push(waiter)
      })
    } else {
      this.active++
    }
    const startedIn = this.generation
    let released = false
    return (outcome) => {
      if (released) return
      released = true
      this.active--
      if (outcome === 'success') this.current = Math.min(this.options.max, this.current + 1)
      else if (outcome === 'rate_limited' && startedIn === this.generation) {
        this.current = Math.max(this.min, Math.floor(this.current / 2))
        this.generation++
      }
      this.drain()
    }
  }

  private drain(): void {
    while (this.active < this.current && this.waiters.length > 0) {
      this.active++
      this.waiters.shift()!.wake()
    }
  }
}
