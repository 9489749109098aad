import {ExternalError, FactflowError, NotFoundError, UnavailableError} from '../errors/index.js'

interface SdkError {
  name?: string
  code?: string
  message?: string
  $retryable?: unknown
  $metadata?: {httpStatusCode?: number}
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
])
const THROTTLED = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'TimeoutError', 'Throttling'])
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'])

export interface S3ErrorContext {
  action: string
  key?: string
  /** `s3://bucket/prefix` */
  uri: string
  endpoint?: string
}

/**
 * Maps an AWS SDK failure to the error model: no HTTP answer or a 5xx/throttle → UnavailableError
 * (retryable); NoSuchKey → NotFoundError `STORAGE_NOT_FOUND`; NoSuchBucket → NotFoundError
 * `STORAGE_BUCKET_NOT_FOUND`; 403s → ExternalError `STORAGE_ACCESS_DENIED`; anything else →
 * ExternalError `STORAGE_S3_ERROR`.
 */
export function s3Error(error: unknown, context: S3ErrorContext): FactflowError {
  if (error instanceof FactflowError) return error
  const sdk = (error ?? {}) as SdkError
  // The raw HTTP response (sockets, agents) would bloat every log line and lineage row the error reaches.
  if (error !== null && typeof error === 'object' && '$response' in error) {
    Object.defineProperty(error, '$response', {enumerable: false})
  }
  const status = sdk.$metadata?.httpStatusCode
  const name = sdk.name ?? ''
  const what = context.key === undefined ? context.uri : `${context.key} in ${context.uri}`
  const where = context.endpoint ?? 'the default AWS endpoint'
  const options = {cause: error, details: {key: context.key, uri: context.uri, s3_error: name, status}}
  if (name === 'NoSuchKey' || (status === 404 && name === 'NotFound')) {
    return new NotFoundError('STORAGE_NOT_FOUND', `No object ${what}.`, {
      ...options, hint: 'Keys are case-sensitive; run `factflow storage browse` to see what the store holds.',
    })
  }
  if (name === 'NoSuchBucket') {
    return new NotFoundError('STORAGE_BUCKET_NOT_FOUND', `The bucket of ${context.uri} does not exist at ${where}.`, {
      ...options, hint: 'Create the bucket first (aws s3 mb / mc mb), or fix the bucket name in the storage URI.',
    })
  }
  if (status === undefined && (NETWORK_CODES.has(sdk.code ?? '') || NETWORK_CODES.has(name) || name === 'TimeoutError')) {
    return new UnavailableError('STORAGE_UNAVAILABLE', `Cannot ${context.action} ${what}: S3 at ${where} did not answer (${sdk.code ?? name}).`, {
      ...options, hint: 'Check that the S3 endpoint is up and reachable (AWS_ENDPOINT_URL / FACTFLOW_S3_ENDPOINT); the message will be retried.',
    })
  }
  if ((status !== undefined && status >= 500) || THROTTLED.has(name) || status === 429) {
    return new UnavailableError('STORAGE_UNAVAILABLE', `Cannot ${context.action} ${what}: S3 at ${where} answered ${status ?? name}.`, {
      ...options, hint: 'S3 is overloaded or failing; the message will be retried.',
    })
  }
  if (status === 403 || DENIED.has(name)) {
    return new ExternalError('STORAGE_ACCESS_DENIED', `S3 refused to ${context.action} ${what} (${name || status}).`, {
      ...options, hint: 'Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy for this prefix.',
    })
  }
  return new ExternalError('STORAGE_S3_ERROR', `S3 failed to ${context.action} ${what}: ${sdk.message ?? name}.`, {
    ...options, hint: `S3 at ${where} answered ${status ?? 'without a status'} (${name || 'unknown error'}).`,
  })
}
