import {type Dispatcher, fetch} from 'undici'

import {type ErrorCode, ExternalError, isFactflowError, UnavailableError, UserInputError} from '../../errors/index.js'
import {addressRefusedCause} from '../../network/guarded-dispatcher.js'

/** Options of one HTTP exchange (no redirect following: see `fetchFollowing`). */
export interface FetchOnceOptions {
  /** The policy-checked client (`Fetchers.dispatcher`): every connection's address is checked. */
  dispatcher: Dispatcher
  headers: Record<string, string>
  /** Default GET. */
  method?: string
  body?: Buffer
  /** Covers the whole exchange, headers and body. */
  timeoutMs: number
  /** Largest body accepted (after content decoding). */
  maxBytes: number
  /** The caller's cancellation (the adapter context's signal). */
  signal?: AbortSignal
  /**
   * What to do with a body over `maxBytes`: `fail` (default) throws a terminal `ExternalError`
   * with `tooLargeCode`; `truncate` keeps the first `maxBytes` bytes (robots.txt).
   */
  overflow?: 'fail' | 'truncate'
  tooLargeCode?: ErrorCode
}

export interface FetchedResponse {
  /** The URL this response answered (before any redirect it announces). */
  url: string
  status: number
  headers: Headers
  body: Buffer
  /** Time from sending the request to the end of the body. */
  elapsedMs: number
}

/** An `AbortError` (what the engine recognises as cancellation), carrying the signal's reason. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The request was aborted', {cause: signal.reason})
  error.name = 'AbortError'
  return error
}

/**
 * One request with redirects left to the caller (`redirect: 'manual'`: a 3xx comes back as is),
 * through `options.dispatcher`. Errors: an address the network policy refuses (the host's, after
 * DNS resolution) → terminal `UserInputError` `NETWORK_TARGET_REFUSED`; cancellation → `AbortError`; timeout → `UnavailableError` `HTTP_TIMEOUT`; refused, reset,
 * DNS failures → `UnavailableError` `HTTP_UNREACHABLE` (both retryable); a body over `maxBytes` →
 * terminal `ExternalError` (`tooLargeCode`, default `PAGE_TOO_LARGE`), read no further. HTTP error
 * statuses are not errors here: callers classify them (`httpStatusError`).
 */
export async function fetchOnce(url: string, options: FetchOnceOptions): Promise<FetchedResponse> {
  const {signal} = options
  if (signal?.aborted) throw abortError(signal)
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  const onAbort = () => controller.abort()
  signal?.addEventListener('abort', onAbort, {once: true})
  const started = performance.now()
  try {
    const response = await fetch(url, {
      method: options.method, body: options.body, headers: options.headers, redirect: 'manual', signal: controller.signal, dispatcher: options.dispatcher,
    })
    const body = await readBody(response, url, options)
    return {url, status: response.status, headers: response.headers as unknown as Headers, body, elapsedMs: performance.now() - started}
  } catch (error) {
    if (signal?.aborted) throw abortError(signal)
    if (timedOut) {
      throw new UnavailableError('HTTP_TIMEOUT', `${url} did not answer within ${options.timeoutMs / 1000} s.`, {
        hint: 'The site may be slow or overloaded; the message is retried. Raise the adapter\'s `timeout` if the site is just slow.',
        details: {url, timeout_ms: options.timeoutMs},
      })
    }
    if (isFactflowError(error)) throw error
    const refused = addressRefusedCause(error)
    if (refused) throw refusedTarget(url, refused.message, error)
    throw networkError(url, error)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The network policy refused `url`'s address: terminal, whoever named the URL (a payload, a sitemap, a redirect). */
export function refusedTarget(url: string, reason: string, cause?: unknown): UserInputError {
  return new UserInputError('NETWORK_TARGET_REFUSED', `${url} is not fetched: ${reason}.`, {
    hint: 'Crawl public addresses, or allow this one: network.allow_private (FACTFLOW_ALLOW_PRIVATE), network.allow_link_local, or network.allow_addresses in the settings.',
    cause, details: {url},
  })
}

async function readBody(response: Awaited<ReturnType<typeof fetch>>, url: string, options: FetchOnceOptions): Promise<Buffer> {
  const tooLarge = (seen: string) => new ExternalError(options.tooLargeCode ?? 'PAGE_TOO_LARGE',
    `${url} is larger than max_bytes (${options.maxBytes} bytes; ${seen}).`, {
      hint: 'Raise the adapter\'s `max_bytes` if the page is wanted, or exclude the URL.',
      details: {url, max_bytes: options.maxBytes},
    })
  const truncate = options.overflow === 'truncate'
  const declared = Number(response.headers.get('content-length'))
  // Content-Length counts encoded bytes; with gzip the decoded body is checked while streaming below.
  if (!truncate && !response.headers.has('content-encoding') && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge(`Content-Length says ${declared}`)
  }
  if (!response.body) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = response.body.getReader()
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > options.maxBytes) {
      // Stop reading: cancelling the stream closes the connection instead of downloading the rest.
      await reader.cancel().catch(() => {})
      if (!truncate) throw tooLarge(`stopped reading after ${total} bytes`)
      chunks.push(value.subarray(0, value.byteLength - (total - options.maxBytes)))
      break
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

function networkError(url: string, error: unknown): UnavailableError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as {code?: unknown} | undefined)?.code
  const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause)
  return new UnavailableError('HTTP_UNREACHABLE', `Could not fetch ${url}: ${reason}.`, {
    hint: 'The site could not be reached (refused, reset or not resolvable); the message is retried.',
    cause: error,
    details: {url, reason},
  })
}

/** 408, 429 and 5xx may heal by waiting; other statuses will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/**
 * The error for an HTTP error status: `ExternalError` with code `HTTP_<status>`, retryable for
 * 408/429/5xx (with `details.retry_after_ms` when the server said when), terminal otherwise.
 */
export function httpStatusError(url: string, status: number, retryAfterMs?: number): ExternalError {
  const retryable = isRetryableStatus(status)
  const hint = status === 429 || status === 503
    ? 'The site asks us to slow down; the request is retried after its Retry-After and the per-domain rate drops.'
    : retryable
      ? 'The site failed on its side; the message is retried.'
      : status === 404 || status === 410
        ? 'The page does not exist; check where the URL came from (sitemap, links).'
        : status === 401 || status === 403
          ? 'The site refuses access; set `headers` (e.g. an Authorization header) if you are allowed in.'
          : 'The site refused the request; it is not retried.'
  return new ExternalError(`HTTP_${status}`, `${url} answered HTTP ${status}.`, {
    retryable,
    hint,
    details: {url, status, ...(retryAfterMs === undefined ? {} : {retry_after_ms: retryAfterMs})},
  })
}

export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}
