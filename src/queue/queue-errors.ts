import {InternalError} from '../errors/index.js'

/**
 * Error codes shared by every queue provider, so callers (and the contract suite) can match on
 * them whatever the broker.
 */
export const QUEUE_ERROR_CODES = {
  /** connect/subscribe once `QueueProvider.close()` began, publish once it finished. */
  providerClosed: 'QUEUE_PROVIDER_CLOSED',
  /** subscribe options a provider cannot honour (prefetch < 1, empty subscription name). */
  subscribeInvalid: 'QUEUE_SUBSCRIBE_INVALID',
  /** the queue URL names a provider that is not built yet. */
  providerNotImplemented: 'QUEUE_PROVIDER_NOT_IMPLEMENTED',
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
