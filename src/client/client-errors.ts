import type {ApiError} from '../api/schemas.js'
import type {ErrorCode} from '../errors/error-codes.js'
import {FactflowError, type ErrorKind, UnavailableError, UserInputError} from '../errors/factflow-error.js'

/**
 * The thin client's errors, in a module of their own: `http-client.ts` loads it only when a call
 * fails, so a client command that succeeds never loads the error catalogue (start-up time).
 */

/**
 * An error the server answered (its `error_code`, `detail` and `hint`). Exit codes (docs/reference/cli.md):
 * 2 for a request the server refused as input (400, 413, 422), 4 when a service behind it is down
 * (503), 1 for everything else the server answered.
 */
export class ServerAnsweredError extends FactflowError {
  override readonly kind: ErrorKind
  constructor(readonly status: number, body: Partial<ApiError> | undefined, fallback: string) {
    const detail = body?.detail
    const message = typeof detail === 'string' ? detail
      : Array.isArray(detail) ? detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ')
        : fallback
    super((body?.error_code ?? `HTTP_${status}`) as ErrorCode, message, {hint: body?.hint, details: body?.details, retryable: status === 429 || status >= 500})
    this.kind = status === 400 || status === 413 || status === 422 ? 'user' : status === 503 ? 'unavailable' : 'external'
  }
}

/** The error of a fetch `Response` that is not ok (its JSON error body read if it has one). */
export async function answeredError(response: Response, what = ''): Promise<ServerAnsweredError> {
  const text = await response.text()
  let body: unknown
  try { body = JSON.parse(text) } catch { body = undefined }
  return new ServerAnsweredError(response.status, body as Partial<ApiError> | undefined, `The server answered ${response.status}${what ? ` for ${what}` : ''}`)
}

/** `SERVER_UNREACHABLE` (exit 4) for a request that got no answer, naming the URL and how to start a server. */
export function unreachable(serverUrl: string, error: unknown): UnavailableError {
  const failure = error as {name?: string; code?: string; message?: string; cause?: {code?: string; message?: string}}
  const reason = failure.name === 'TimeoutError' ? 'no answer in time' : failure.code ?? failure.cause?.code ?? failure.cause?.message ?? failure.message
  return new UnavailableError('SERVER_UNREACHABLE', `Cannot reach the factflow server at ${serverUrl} (${reason})`, {
    retryable: true, cause: error,
    hint: 'Start one with `factflow serve --embedded`, or point --server (or FACTFLOW_SERVER_URL) at a running server.',
    details: {server_url: serverUrl},
  })
}

export function headerInvalid(line: string): UserInputError {
  return new UserInputError('CLIENT_HEADER_INVALID', `Not a header: ${JSON.stringify(line)}`, {hint: 'Write headers as --header "Name: value" (FACTFLOW_HEADERS: one per line or separated by ";").'})
}
