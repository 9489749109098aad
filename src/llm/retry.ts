import {isFactflowError} from '../errors/index.js'
import {abortError, classifyLlmError, isAbort, type LlmErrorClass} from './llm-errors.js'

export interface LlmRetryOptions {
  /** Attempts in all, the first included (default 7). */
  maxAttempts?: number
  /** Backoff before the second attempt; doubles per attempt (default 500 ms). */
  baseDelayMs?: number
  /** Cap of the exponential part (default 20 s). */
  maxDelayMs?: number
  /**
   * A server's Retry-After longer than this is not waited out here: the error goes to the engine,
   * whose message retry honours `details.retry_after_ms` without holding a slot (default 60 s).
   */
  maxRetryAfterMs?: number
  /** [0, 1) source for jitter (tests pin it). */
  random?: () => number
  /** Called before each wait (logging, tests). */
  onRetry?: (event: {attempt: number; delayMs: number; error: unknown; errorClass: LlmErrorClass}) => void
}

const DEFAULTS = {maxAttempts: 7, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000}

/**
 * The wait before attempt `attempt + 1` after a retryable failure, or `undefined` to give up:
 * terminal errors, cancellation, the last attempt, or a Retry-After beyond `maxRetryAfterMs`.
 * Backoff is exponential with "equal jitter" (half fixed, half random) so that clients rejected
 * together do not come back together; a Retry-After is a lower bound.
 */
export function retryDelay(error: unknown, attempt: number, options: LlmRetryOptions = {}): number | undefined {
  const {maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs} = {...DEFAULTS, ...options}
  if (attempt >= maxAttempts || isAbort(error) || classifyLlmError(error) === 'terminal') return undefined
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
  const jittered = exponential / 2 + (options.random ?? Math.random)() * (exponential / 2)
  const retryAfter = isFactflowError(error) ? error.details?.retry_after_ms : undefined
  if (typeof retryAfter === 'number') {
    if (retryAfter > maxRetryAfterMs) return undefined
    return Math.max(jittered, retryAfter)
  }
  return jittered
}

/**
 * Runs `call` up to `maxAttempts` times while it fails with a retryable or rate-limited error
 * (`classifyLlmError`), waiting `retryDelay` in between; the last error is thrown as it is (with its
 * `details.retry_after_ms` for the engine). Cancellation during a wait rejects with an `AbortError`.
 */
export async function withLlmRetry<T>(call: (attempt: number) => Promise<T>, options: LlmRetryOptions = {}, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt)
    } catch (error) {
      const delayMs = retryDelay(error, attempt, options)
      if (delayMs === undefined || signal?.aborted) throw error
      options.onRetry?.({attempt, delayMs, error, errorClass: classifyLlmError(error)})
      await sleep(delayMs, signal)
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const onAbort = () => { clearTimeout(timer); reject(abortError(signal)) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}
