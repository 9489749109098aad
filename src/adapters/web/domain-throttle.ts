import {setTimeout as sleep} from 'node:timers/promises'

import {ExternalError} from '../../errors/index.js'
import {abortError} from './http-fetch.js'

export interface DomainThrottleOptions {
  /** Concurrent requests to the host at first (default 2: polite until the host proves fast). */
  initialConcurrency?: number
  minConcurrency?: number
  maxConcurrency?: number
  /** A response slower than this halves the concurrency (default 5 s). */
  slowResponseMs?: number
  /** Pause after a 429 that names no Retry-After (default 1 s). */
  defaultPauseMs?: number
  now?: () => number
}

/** How one request went; steers the limit. */
export interface ThrottleOutcome {
  status?: number
  latencyMs?: number
  /** From the response's Retry-After header. */
  retryAfterMs?: number
  /** The request timed out (counts as slow). */
  timedOut?: boolean
}

export type ThrottleRelease = (outcome: ThrottleOutcome) => void

/**
 * The per-host adaptive rate limit of web_scraper/web_crawler (docs/reference/adapters.md): AIMD on
 * concurrency (+1 per window of fast successes; halved on 429/503, timeouts and slow responses, at
 * most once per second) plus a pause gate that holds every request to the host until a
 * `Retry-After` has passed, and an optional minimum interval between request starts (robots.txt
 * Crawl-delay). Written here rather than taken from a library because it must be fed HTTP statuses
 * and Retry-After, which generic limiters (p-limit, p-queue) do not model.
 */
export class DomainThrottle {
  private readonly min: number
  private readonly max: number
  private readonly slowResponseMs: number
  private readonly defaultPauseMs: number
  private readonly now: () => number
  private limitValue: number
  private active = 0
  private pausedUntil = 0
  private minIntervalMs = 0
  private lastStartAt = Number.NEGATIVE_INFINITY
  private lastDecreaseAt = Number.NEGATIVE_INFINITY
  private readonly wakers = new Set<() => void>()

  constructor(options: DomainThrottleOptions = {}) {
    this.min = options.minConcurrency ?? 1
    this.max = options.maxConcurrency ?? 8
    this.limitValue = Math.min(this.max, Math.max(this.min, options.initialConcurrency ?? 2))
    this.slowResponseMs = options.slowResponseMs ?? 5000
    this.defaultPauseMs = options.defaultPauseMs ?? 1000
    this.now = options.now ?? Date.now
  }

  /** Current concurrency limit (fractional while growing). */
  get limit(): number {
    return this.limitValue
  }

  get inFlight(): number {
    return this.active
  }

  /** Milliseconds until the host may be asked again (0 when not paused). */
  get pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.now())
  }

  /** Minimum time between two request starts (robots.txt Crawl-delay). */
  setMinInterval(ms: number): void {
    this.minIntervalMs = Math.max(0, ms)
  }

  /** Holds every request to the host for `ms` from now (never shortens an existing pause). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms)
    this.wakeAll()
  }

  /**
   * Waits for the pause gate, the minimum interval and a free slot, then takes the slot. When the
   * host stays paused longer than `maxWaitMs` it throws a retryable `ExternalError` `RATE_LIMITED`
   * (with `details.retry_after_ms`) instead of holding the message; cancellation → `AbortError`.
   */
  async acquire(signal: AbortSignal, maxWaitMs: number): Promise<ThrottleRelease> {
    for (;;) {
      if (signal.aborted) throw abortError(signal)
      const now = this.now()
      const paused = this.pausedUntil - now
      if (paused > maxWaitMs) {
        throw new ExternalError('RATE_LIMITED', `The host asked to wait ${Math.ceil(paused / 1000)} s before the next request.`, {
          retryable: true,
          hint: 'The message is retried later; requests to this host are held until its Retry-After has passed.',
          details: {retry_after_ms: paused},
        })
      }
      const wait = Math.max(paused, this.lastStartAt + this.minIntervalMs - now)
      if (wait > 0) {
        await sleep(wait, undefined, {signal}).catch(() => {
          throw abortError(signal)
        })
        continue
      }
      if (this.active < Math.floor(this.limitValue)) {
        this.active++
        this.lastStartAt = now
        let released = false
        return (outcome) => {
          if (released) return
          released = true
          this.release(outcome)
        }
      }
      await this.waitForChange(signal)
    }
  }

  private release(outcome: ThrottleOutcome): void {
    this.active--
    const {status, latencyMs} = outcome
    if (status === 429 || status === 503) {
      this.decrease()
      const pauseMs = outcome.retryAfterMs ?? (status === 429 ? this.defaultPauseMs : 0)
      if (pauseMs > 0) this.pausedUntil = Math.max(this.pausedUntil, this.now() + pauseMs)
    } else if (outcome.timedOut || (latencyMs !== undefined && latencyMs > this.slowResponseMs)) {
      this.decrease()
    } else if (status !== undefined && status < 500 && this.limitValue < this.max) {
      // +1 per full window of fast answers: about +1 per round trip, as TCP does.
      this.limitValue = Math.min(this.max, this.limitValue + 1 / this.limitValue)
    }
    this.wakeAll()
  }

  private decrease(): void {
    const now = this.now()
    // Answers to requests sent together arrive together: halve once per burst, not once per answer.
    if (now - this.lastDecreaseAt < 1000) return
    this.lastDecreaseAt = now
    this.limitValue = Math.max(this.min, Math.floor(this.limitValue / 2))
  }

  private waitForChange(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.wakers.delete(wake)
        reject(abortError(signal))
      }
      const wake = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      this.wakers.add(wake)
      signal.addEventListener('abort', onAbort, {once: true})
    })
  }

  private wakeAll(): void {
    const wakers = [...this.wakers]
    this.wakers.clear()
    for (const wake of wakers) wake()
  }
}
