import {
  CancelledError, ConflictError, ExternalError, FactflowError, type FactflowErrorOptions, InternalError,
  isFactflowError, LimitExceededError, NotFoundError, UnavailableError, UserInputError,
} from './factflow-error.js'
import type {ErrorCode} from './error-codes.js'

/**
 * A thrown value as plain data, to cross a thread boundary (structured clone keeps an `Error`'s
 * message and stack but drops its class and own fields: a `UserInputError` would arrive as a plain
 * `Error` without `code`, `retryable` or `hint`, and be classified differently).
 */
export interface SerializedError {
  name: string
  message: string
  stack?: string
  /** Set for a `FactflowError`: its class is rebuilt from `name`. */
  factflow?: {code: string; hint?: string; retryable: boolean; details?: Record<string, unknown>}
  /** Own `code` / `status` of a plain error (a Node system error, an HTTP client error). */
  code?: string
  status?: number
  cause?: SerializedError
}

type FactflowErrorClass = new (code: ErrorCode, message: string, options?: FactflowErrorOptions) => FactflowError

const CLASSES: Record<string, FactflowErrorClass> = {
  FactflowError, UserInputError, NotFoundError, ConflictError, LimitExceededError, ExternalError,
  UnavailableError, CancelledError, InternalError,
}

function cloneable(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  try {
    return structuredClone(value)
  } catch {
    // Details holding functions or sockets: keep what JSON can say about them.
    try {
      return JSON.parse(JSON.stringify(value)) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
}

/** `error` as data that `postMessage` can carry; `reviveError` turns it back. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return {name: 'Error', message: String(error)}
  const out: SerializedError = {name: error.name, message: error.message, stack: error.stack}
  if (isFactflowError(error)) {
    out.factflow = {code: error.code, hint: error.hint, retryable: error.retryable, details: cloneable(error.details)}
  } else {
    const {code, status} = error as {code?: unknown; status?: unknown}
    if (typeof code === 'string') out.code = code
    if (typeof status === 'number') out.status = status
  }
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1)
  return out
}

/**
 * The error `serializeError` described, rebuilt with the same class, `code`, `hint`, `retryable`
 * and `details` (a factflow error of a class this side does not know keeps its fields as a
 * `FactflowError`), so every classification (`isRetryable`, `errorInfo`, exit codes) reads it as it
 * would have read the original. The stack is the original's.
 */
export function reviveError(data: SerializedError): Error {
  const cause = data.cause === undefined ? undefined : reviveError(data.cause)
  let error: Error
  if (data.factflow !== undefined) {
    const Class = CLASSES[data.name] ?? FactflowError
    error = new Class(data.factflow.code as ErrorCode, data.message, {
      hint: data.factflow.hint, retryable: data.factflow.retryable, details: data.factflow.details, cause,
    })
  } else {
    error = new Error(data.message, cause === undefined ? undefined : {cause})
    error.name = data.name
    if (data.code !== undefined) Object.assign(error, {code: data.code})
    if (data.status !== undefined) Object.assign(error, {status: data.status})
  }
  if (data.stack !== undefined) error.stack = data.stack
  return error
}
