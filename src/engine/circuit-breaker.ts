/**
 * Per adapter per execution (docs/reference/engine.md, "Circuit breaker"). After `failureThreshold`
 * consecutive retryable failures the circuit opens for `cooldownMs`; callers of `acquire()` wait
 * (they do not fail) while it is open; after the cool-down one trial call is let through
 * (half-open): its success closes the circuit, its failure opens it again. Terminal errors (bad
 * input) do not count: they say nothing about the adapter's health.
 */
export type CircuitState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerOptions {
  failureThreshold: number
  cooldownMs: number
  onStateChange?: (state: CircuitState) => void
}

export class CircuitBreaker {
  private state: CircuitState = 'closed'
  private failures = 0
  private trialInFlight = false
  private waiters: Array<() => void> = []
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly options: CircuitBreakerOptions) {}

  get current(): CircuitState {
    return this.state
  }

  /** Resolves when a call may proceed; rejects if `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    if (this.state === 'closed') return undefined
    if (this.state === 'half_open' && !this.trialInFlight) {
      this.trialInFlight = true
      return undefined
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake)
        reject(signal!.reason)
      }
      const wake = () => {
        signal?.removeEventListener('abort', onAbort)
        const retry = this.acquire(signal)
        if (retry) retry.then(resolve, reject)
        else resolve()
      }
      if (signal?.aborted) return reject(signal.reason)
      signal?.addEventListener('abort', onAbort, {once: true})
      this.waiters.push(wake)
      // Someone waits for the cool-down: it must keep the process alive (it is unref'd otherwise).
      this.timer?.ref()
    })
  }

  recordSuccess(): void {
    this.failures = 0
    if (this.state !== 'closed') {
      this.trialInFlight = false
      this.transition('closed')
      this.wakeAll()
    }
  }

  /** `countable` is false for terminal errors: they release a trial but do not count. */
  recordFailure(countable = true): void {
    if (this.state === 'half_open') {
      this.trialInFlight = false
      if (countable) this.open()
      else this.wakeOne()
      return
    }
    if (!countable) return
    this.failures++
    if (this.state === 'closed' && this.failures >= this.options.failureThreshold) this.open()
  }

  /** A call that ended without a verdict (cancelled) gives back its trial slot. */
  release(): void {
    if (this.state === 'half_open' && this.trialInFlight) {
      this.trialInFlight = false
      this.wakeOne()
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private open(): void {
    this.transition('open')
    this.dispose()
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.transition('half_open')
      this.wakeOne()
    }, this.options.cooldownMs)
    this.timer.unref?.()
  }

  private wakeOne(): void {
    this.waiters.shift()?.()
  }

  private wakeAll(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private transition(state: CircuitState): void {
    if (this.state === state) return
    this.state = state
    this.options.onStateChange?.(state)
  }
}
