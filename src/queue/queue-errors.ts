import {describeError, ExternalError, InternalError, UnavailableError} from '../errors/index.js'

/**
 * Error codes shared by every queue provider, so callers (and the contract suite) can match on
 * them whatever the broker.
 */
export const QUEUE_ERROR_CODES = {
  /** connect/subscribe once `QueueProvider.close()` began, publish once it finished. */
  providerClosed: 'QUEUE_PROVIDER_CLOSED',
  /** subscribe options a provider cannot honour (prefetch < 1, empty subscription name). */
  subscribeInvalid: 'QUEUE_SUBSCRIBE_INVALID',
  /** the queue URL is not one of the accepted forms. */
  urlInvalid: 'QUEUE_URL_INVALID',
} as const

/** Using a provider after closing it is a defect in the caller (shutdown order), not a user error. */
export function providerClosedError(kind: string, operation: 'publish' | 'subscribe' | 'connect'): InternalError {
  return new InternalError(QUEUE_ERROR_CODES.providerClosed, `cannot ${operation}: the ${kind} queue provider is closed`, {
    hint: 'close the queue provider last, after every route has stopped publishing',
    details: {provider: kind, operation},
  })
}

export function subscribeInvalidError(message: string, details: Record<string, unknown>): InternalError {
  return new InternalError(QUEUE_ERROR_CODES.subscribeInvalid, message, {
    hint: 'subscribe with a non-empty subscription name and an integer prefetch of at least 1',
    details,
  })
}

/** The first connection failed: nothing was done yet, exit 4 / HTTP 503. */
export function brokerUnreachableError(kind: string, shown: string, cause: unknown): UnavailableError {
  return new UnavailableError('QUEUE_BROKER_UNREACHABLE', `cannot reach the ${kind} broker at ${shown}: ${describeError(cause)}`, {
    cause, details: {provider: kind, url: shown},
  })
}

/** The connection went away and stayed away past the reconnect deadline. */
export function brokerUnavailableError(kind: string, shown: string, downMs: number, deadlineMs: number, cause: unknown): UnavailableError {
  return new UnavailableError('QUEUE_BROKER_UNAVAILABLE',
    `the ${kind} broker at ${shown} has been unreachable for ${Math.round(downMs / 1000)} s (reconnect deadline ${Math.round(deadlineMs / 1000)} s): ${describeError(cause)}`,
    {cause, retryable: false, details: {provider: kind, url: shown, down_ms: downMs, deadline_ms: deadlineMs}})
}

/** The broker answered, and said no. */
export function brokerRefusedError(kind: string, message: string, cause?: unknown): ExternalError {
  return new ExternalError('QUEUE_BROKER_REFUSED', `the ${kind} broker refused: ${message}`, {cause, details: {provider: kind}})
}
