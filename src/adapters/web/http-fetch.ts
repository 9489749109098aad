import {type Readable, Transform} from 'node:stream'
import zlib from 'node:zlib'

import {type Dispatcher, Headers} from 'undici'

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
 * One request with redirects left to the caller (a 3xx comes back as is), through
 * `options.dispatcher`'s own request API rather than WHATWG `fetch` on top of it: the same exchange
 * at ≈ 2/3 of the main thread's CPU per page (docs/decisions.md, "undici's request instead of its
 * fetch"). What `fetch` added is done here: `Accept` and `Accept-Encoding` when the caller sets
 * none, the body decoded as `Content-Encoding` says (gzip, deflate, br, chained), a URL with
 * credentials refused. Errors: an address the network policy refuses (the host's, after DNS
 * resolution) → terminal `UserInputError` `NETWORK_TARGET_REFUSED`; cancellation → `AbortError`;
 * timeout → `UnavailableError` `HTTP_TIMEOUT`; refused, reset, DNS failures, a body that does not
 * decode → `UnavailableError` `HTTP_UNREACHABLE` (both retryable); a body over `maxBytes` →
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
    const target = new URL(url)
    if (target.username !== '' || target.password !== '') throw new TypeError(`${url} includes credentials; they are not sent`)
    const method = options.method ?? 'GET'
    const response = await options.dispatcher.request({
      origin: target.origin, path: target.pathname + target.search, method, body: options.body,
      headers: withDefaults(options.headers), signal: controller.signal,
    })
    const headers = responseHeaders(response.headers)
    const body = await readBody(response.body, headers, method, response.statusCode, url, options)
    return {url, status: response.statusCode, headers, body, elapsedMs: performance.now() - started}
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

/** `Accept` and `Accept-Encoding` as `fetch` sent them, unless the caller set its own. */
function withDefaults(headers: Record<string, string>): Record<string, string> {
  let accept = false
  let encoding = false
  for (const name in headers) {
    const lower = name.toLowerCase()
    if (lower === 'accept') accept = true
    else if (lower === 'accept-encoding') encoding = true
  }
  if (accept && encoding) return headers
  return {...(accept ? {} : {accept: '*/*'}), ...(encoding ? {} : {'accept-encoding': 'gzip, deflate, br'}), ...headers}
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers()
  for (const name in raw) {
    const value = raw[name]
    if (value === undefined) continue
    if (typeof value === 'string') headers.append(name, value)
    else for (const each of value) headers.append(name, each)
  }
  return headers
}

/** The network policy refused `url`'s address: terminal, whoever named the URL (a payload, a sitemap, a redirect). */
export function refusedTarget(url: string, reason: string, cause?: unknown): UserInputError {
  return new UserInputError('NETWORK_TARGET_REFUSED', `${url} is not fetched: ${reason}.`, {
    hint: 'Crawl public addresses, or allow this one: network.allow_private (FACTFLOW_ALLOW_PRIVATE), network.allow_link_local, or network.allow_addresses in the settings.',
    cause, details: {url},
  })
}

/** Statuses whose response has no body (fetch's "null body status"), besides any answer to HEAD. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

async function readBody(raw: Readable, headers: Headers, method: string, status: number, url: string, options: FetchOnceOptions): Promise<Buffer> {
  const tooLarge = (seen: string) => new ExternalError(options.tooLargeCode ?? 'PAGE_TOO_LARGE',
    `${url} is larger than max_bytes (${options.maxBytes} bytes; ${seen}).`, {
      hint: 'Raise the adapter\'s `max_bytes` if the page is wanted, or exclude the URL.',
      details: {url, max_bytes: options.maxBytes},
    })
  const truncate = options.overflow === 'truncate'
  const encoding = headers.get('content-encoding')
  const declared = Number(headers.get('content-length'))
  // Content-Length counts encoded bytes; with gzip the decoded body is checked while reading below.
  if (!truncate && encoding === null && declared > options.maxBytes) {
    discard(raw)
    throw tooLarge(`Content-Length says ${declared}`)
  }
  let decoders: Transform[]
  try {
    decoders = method === 'HEAD' || NULL_BODY_STATUSES.has(status) ? [] : contentDecoders(encoding)
  } catch (error) {
    discard(raw)
    throw error
  }
  let source: Readable = raw
  for (const decoder of decoders) source = source.pipe(decoder)
  const chunks: Buffer[] = []
  let total = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        cleanup()
        reject(error)
      }
      const onData = (chunk: Buffer) => {
        total += chunk.byteLength
        if (total <= options.maxBytes) {
          chunks.push(chunk)
          return
        }
        // Stop reading: destroying the body closes the connection instead of downloading the rest.
        cleanup()
        if (truncate) {
          chunks.push(chunk.subarray(0, chunk.byteLength - (total - options.maxBytes)))
          resolve()
        } else {
          reject(tooLarge(`stopped reading after ${total} bytes`))
        }
      }
      const onEnd = () => {
        cleanup()
        resolve()
      }
      const streams = [raw, ...decoders]
      const cleanup = () => {
        source.off('data', onData)
        source.off('end', onEnd)
        for (const stream of streams) stream.off('error', fail)
      }
      for (const stream of streams) stream.on('error', fail)
      source.on('data', onData)
      source.on('end', onEnd)
    })
  } finally {
    if (!raw.readableEnded) discard(raw)
    for (const decoder of decoders) discard(decoder)
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, Math.min(total, options.maxBytes))
}

/** Stops a stream nobody reads any more; destroying undici's body emits an error that no one should see. */
function discard(stream: Readable | Transform): void {
  stream.on('error', () => {})
  stream.destroy()
}

/**
 * The decoders of a `Content-Encoding`, last coding first, as `fetch` built them (lenient flushes,
 * as browsers and curl are); none for a coding it does not know (the body is kept as sent).
 */
function contentDecoders(encoding: string | null): Transform[] {
  if (encoding === null) return []
  const codings = encoding.toLowerCase().split(',')
  if (codings.length > 5) throw new TypeError(`too many content-encodings in the response: ${codings.length}, at most 5`)
  const decoders: Transform[] = []
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!.trim()
    if (coding === 'gzip' || coding === 'x-gzip') {
      decoders.push(zlib.createGunzip({flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH}))
    } else if (coding === 'deflate') {
      decoders.push(new InflateEither())
    } else if (coding === 'br') {
      decoders.push(zlib.createBrotliDecompress({flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH}))
    } else if (coding !== 'identity' && coding !== '') {
      for (const decoder of decoders) discard(decoder)
      return []
    }
  }
  return decoders
}

function networkError(url: string, error: unknown): UnavailableError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as {code?: unknown} | undefined)?.code
  const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause)
  if (typeof code === 'string' && /^(Z_|ERR_BROTLI|ERR_ZLIB)/.test(code)) {
    return new UnavailableError('HTTP_UNREACHABLE', `Could not fetch ${url}: its body does not decode as its Content-Encoding says (${reason}).`, {
      hint: 'The site sent a damaged compressed body; the message is retried, and dead-lettered if the site keeps sending it.',
      cause: error,
      details: {url, reason},
    })
  }
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

/**
 * `Content-Encoding: deflate`, which should be zlib-wrapped but is raw deflate from some servers:
 * the first byte tells (a zlib header's low nibble is 8, deflate's method).
 */
class InflateEither extends Transform {
  private inflate: zlib.Inflate | zlib.InflateRaw | undefined

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.inflate === undefined) {
      if (chunk.length === 0) {
        callback()
        return
      }
      const options = {flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH}
      const inflate = (chunk[0]! & 0x0f) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options)
      inflate.on('data', (data: Buffer) => this.push(data))
      inflate.on('error', (error) => this.destroy(error))
      this.inflate = inflate
    }
    this.inflate.write(chunk, callback)
  }

  override _flush(callback: (error?: Error | null) => void): void {
    if (this.inflate === undefined) {
      callback()
      return
    }
    this.inflate.once('end', () => callback())
    this.inflate.end()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inflate?.destroy()
    callback(error)
  }
}
