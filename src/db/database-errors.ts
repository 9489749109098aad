import {UnavailableError} from '../errors/index.js'
import {redactCredentials} from '../secrets/redact-url.js'

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
])

/**
 * True when `error` says the database could not be reached or the connection broke, as opposed to
 * the server rejecting a statement. SQLSTATE classes 08 (connection exception) and 57P (operator
 * intervention: shutdown, crash recovery) count as unreachable.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof UnavailableError) return true
  if (typeof error !== 'object' || error === null) return false
  const code = (error as {code?: unknown}).code
  if (typeof code === 'string') {
    if (CONNECTION_ERROR_CODES.has(code)) return true
    if (code.startsWith('08') || code.startsWith('57P')) return true
  }
  const message = error instanceof Error ? error.message : ''
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i
    .test(message)
}

/** SQLSTATE of a server-side error, or undefined when the error did not come from the server. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as {code?: unknown}).code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/** A database URL fit for logs and messages: the password is replaced by `***`. */
export {redactUrl} from '../secrets/redact-url.js'

export function databaseUnreachable(location: string, cause: unknown): UnavailableError {
  const reason = redactCredentials(cause instanceof Error ? cause.message : String(cause))
  return new UnavailableError('DATABASE_UNREACHABLE', `Cannot reach the database at ${location}: ${reason}`, {
    hint: `Check that PostgreSQL is running and accepting connections at ${location} ` +
      '(settings database.url / FACTFLOW_DATABASE_URL, or --database), or omit it to use the embedded database.',
    cause,
  })
}
