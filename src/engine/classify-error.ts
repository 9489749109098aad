import {isFactflowError} from '../errors/index.js'
import type {LineageErrorInfo} from '../lineage/types.js'

/**
 * Retryable (network, 5xx, 429, timeouts, broker busy) or terminal (bad input, 4xx, validation).
 * A `FactflowError` says so itself; plain errors are retryable when they look like a transport
 * failure and terminal otherwise (a programming error will not heal by retrying).
 */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH',
  'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
])

export function isRetryable(error: unknown): boolean {
  if (isFactflowError(error)) return error.retryable
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return true
    const code = (error as {code?: unknown}).code
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true
    const status = (error as {status?: unknown}).status
    if (typeof status === 'number') return status === 408 || status === 429 || status >= 500
  }
  return false
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as {code?: unknown}).code === 'ABORT_ERR')
}

export function errorInfo(error: unknown): LineageErrorInfo {
  if (error instanceof Error) {
    return {
      error_class: error.name,
      message: error.message.slice(0, 2000),
      retryable: isRetryable(error),
      code: codeOf(error),
      stack: error.stack?.split('\n').slice(0, 8).join('\n'),
    }
  }
  return {error_class: typeof error, message: String(error).slice(0, 2000), retryable: false}
}

function codeOf(error: Error): string | undefined {
  if (isFactflowError(error)) return error.code
  const code = (error as {code?: unknown}).code
  return typeof code === 'string' ? code : undefined
}
