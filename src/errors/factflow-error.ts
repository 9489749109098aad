/**
 * The one error model. Every error that reaches a user carries a stable `code`, a `hint` (the next
 * step) and whether retrying can help. Subclasses say who must act, which decides the exit code
 * (CLI) and the HTTP status (server).
 */
import {errorCodeEntry, type ErrorCode} from './error-codes.js'

export type ErrorKind = 'user' | 'external' | 'unavailable' | 'bug' | 'cancelled'

export interface FactflowErrorOptions {
  hint?: string
  retryable?: boolean
  cause?: unknown
  details?: Record<string, unknown>
}

export class FactflowError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly retryable: boolean
  readonly details: Record<string, unknown> | undefined
  readonly kind: ErrorKind = 'bug'

  /** Without `options.hint`, the catalogue's default hint for `code` (if it has one). */
  constructor(code: ErrorCode, message: string, options: FactflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.hint = options.hint ?? errorCodeEntry(code)?.hint
    this.retryable = options.retryable ?? false
    this.details = options.details
  }

  /** CLI exit code per docs/reference/cli.md. */
  get exitCode(): number {
    switch (this.kind) {
      case 'user': return 2
      case 'unavailable': return 4
      case 'cancelled': return 130
      default: return 1
    }
  }

  /** HTTP status per docs/reference/server.md. */
  get httpStatus(): number {
    switch (this.kind) {
      case 'user': return 400
      case 'unavailable': return 503
      case 'external': return 502
      case 'cancelled': return 409
      default: return 500
    }
  }
}

/** Bad input from the user: flags, files, YAML, request bodies. Exit 2 / HTTP 4xx. */
export class UserInputError extends FactflowError {
  override readonly kind: ErrorKind = 'user'
}

/** A resource the user named does not exist. Exit 2 / HTTP 404. */
export class NotFoundError extends UserInputError {
  override get httpStatus(): number { return 404 }
}

/** The request conflicts with the resource's state (a tag taken, an execution already ended). Exit 2 / HTTP 409. */
export class ConflictError extends UserInputError {
  override get httpStatus(): number { return 409 }
}

/** A limit was reached (concurrent executions); retry later. Exit 1 / HTTP 429. */
export class LimitExceededError extends FactflowError {
  override readonly kind: ErrorKind = 'external'
  override get httpStatus(): number { return 429 }
}

/** An external system answered with an error (LLM API, website, broker refusal). Exit 1 / HTTP 502. */
export class ExternalError extends FactflowError {
  override readonly kind: ErrorKind = 'external'
}

/** An external system could not be reached (refused, timeout). Exit 4 / HTTP 503. */
export class UnavailableError extends FactflowError {
  override readonly kind: ErrorKind = 'unavailable'
  constructor(code: ErrorCode, message: string, options: FactflowErrorOptions = {}) {
    super(code, message, {retryable: true, ...options})
  }
}

/** Work was cancelled by the user. Exit 130. */
export class CancelledError extends FactflowError {
  override readonly kind: ErrorKind = 'cancelled'
}

/** A failure the caller cannot fix: a defect in factflow. Exit 1 / HTTP 500. */
export class InternalError extends FactflowError {}

export function isFactflowError(error: unknown): error is FactflowError {
  return error instanceof FactflowError
}

/** Short, single-line description of any thrown value (for logs and lineage rows). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
