import {ExternalError, isFactflowError, UnavailableError} from '../errors/index.js'
import {parseRetryAfter} from '../adapters/web/retry-after.js'

/** How the retry layer treats a failure (docs/reference/adapters.md, "LLM and embedding providers"). */
export type LlmErrorClass = 'retryable' | 'rate_limited' | 'terminal'

/** `details.llm_error` of the errors made here. */
export function classifyLlmError(error: unknown): LlmErrorClass {
  if (!isFactflowError(error)) return isAbort(error) ? 'terminal' : 'retryable'
  const declared = error.details?.llm_error
  if (declared === 'rate_limited' || declared === 'retryable' || declared === 'terminal') return declared
  return error.retryable ? 'retryable' : 'terminal'
}

/** `Retry-After-Ms` (OpenAI) or `Retry-After` (seconds or an HTTP date) in milliseconds. */
export function retryAfterFrom(headers: Headers | undefined): number | undefined {
  if (headers === undefined) return undefined
  const ms = Number(headers.get('retry-after-ms'))
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms
  return parseRetryAfter(headers.get('retry-after'))
}

/**
 * The error for an HTTP error answer of `profile`: 429 → LLM_RATE_LIMITED (`rate_limited`, with
 * `details.retry_after_ms` when the server said when); 408 and 5xx → LLM_HTTP_<status> retryable;
 * other statuses → LLM_HTTP_<status> terminal.
 */
export function llmHttpError(profile: string, status: number, message: string, headers?: Headers, cause?: unknown): ExternalError {
  const retryAfterMs = retryAfterFrom(headers)
  const llmError: LlmErrorClass = status === 429 ? 'rate_limited' : status === 408 || status >= 500 ? 'retryable' : 'terminal'
  const hint = llmError === 'rate_limited'
    ? 'The provider asks us to slow down; the call is retried after its Retry-After and the profile\'s concurrency drops.'
    : llmError === 'retryable'
      ? 'The provider failed on its side; the call is retried.'
      : status === 401 || status === 403
        ? `Check the api_key of LLM profile "${profile}" (llm.providers in the settings).`
        : status === 404
          ? `Check the model / deployment and base_url of LLM profile "${profile}".`
          : 'The provider refused the request; it is not retried.'
  return new ExternalError(status === 429 ? 'LLM_RATE_LIMITED' : `LLM_HTTP_${status}`, `LLM profile "${profile}" answered HTTP ${status}: ${message}`, {
    retryable: llmError !== 'terminal',
    hint,
    cause,
    details: {profile, status, llm_error: llmError, ...(retryAfterMs === undefined ? {} : {retry_after_ms: retryAfterMs})},
  })
}

export function llmUnreachable(profile: string, cause: unknown, timedOut: boolean): UnavailableError {
  return new UnavailableError(timedOut ? 'LLM_TIMEOUT' : 'LLM_UNREACHABLE', timedOut
    ? `LLM profile "${profile}" did not answer within its timeout.`
    : `LLM profile "${profile}" could not be reached: ${describe(cause)}`, {
    hint: timedOut ? 'Raise the profile\'s timeout (seconds) or lower max_tokens; the call is retried.' : 'Check base_url and the network; the call is retried.',
    cause,
    details: {profile, llm_error: 'retryable'},
  })
}

/** A 2xx answer we could not read (malformed JSON, missing fields): usually transient. */
export function llmBadResponse(profile: string, cause: unknown): ExternalError {
  return new ExternalError('LLM_BAD_RESPONSE', `LLM profile "${profile}" sent an answer that could not be read: ${describe(cause)}`, {
    retryable: true,
    hint: 'The provider (or a proxy in between) sent a malformed answer; the call is retried.',
    cause,
    details: {profile, llm_error: 'retryable'},
  })
}

/** An `AbortError` carrying the signal's reason: what the engine recognises as cancellation. */
export function abortError(signal: AbortSignal | undefined): Error {
  const error = new Error('The LLM call was aborted', {cause: signal?.reason})
  error.name = 'AbortError'
  return error
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError')
}

/** The error classes both vendor SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & {status: number | undefined; headers: Headers | undefined}
  APIConnectionError: abstract new (...args: never[]) => Error
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error
  APIUserAbortError: abstract new (...args: never[]) => Error
}

/** A vendor SDK's error as one of ours (see `ChatClient`); errors that are already ours pass through. */
export function fromSdkError(sdk: SdkErrorClasses, profile: string, error: unknown, signal?: AbortSignal): Error {
  if (isFactflowError(error)) return error
  if (error instanceof sdk.APIUserAbortError || signal?.aborted) return abortError(signal)
  if (error instanceof sdk.APIConnectionTimeoutError) return llmUnreachable(profile, error, true)
  if (error instanceof sdk.APIConnectionError) return llmUnreachable(profile, error, false)
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    return llmHttpError(profile, error.status, errorMessage(error), error.headers, error)
  }
  return llmBadResponse(profile, error)
}

function errorMessage(error: Error): string {
  const body = (error as {error?: {message?: unknown; error?: {message?: unknown}}}).error
  const message = body?.error?.message ?? body?.message
  return typeof message === 'string' ? message : error.message
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as {code?: unknown} | undefined)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.message : String(cause)
}
