import {describe, expect, it} from 'vitest'

import {ExternalError, NotFoundError, UnavailableError} from '../errors/index.js'
import {s3Error} from './s3-errors.js'

const context = {action: 'read', key: 'a.txt', uri: 's3://b/p/', endpoint: 'http://minio:9000'}
const sdkError = (name: string, status?: number, code?: string) =>
  Object.assign(new Error(`${name} happened`), {name, code, $metadata: {httpStatusCode: status}, $response: {huge: true}})

describe('s3Error', () => {
  it.each([
    [sdkError('Error', undefined, 'ECONNREFUSED'), UnavailableError, 'STORAGE_UNAVAILABLE', true],
    [sdkError('TimeoutError'), UnavailableError, 'STORAGE_UNAVAILABLE', true],
    [sdkError('SlowDown', 503), UnavailableError, 'STORAGE_UNAVAILABLE', true],
    [sdkError('InternalError', 500), UnavailableError, 'STORAGE_UNAVAILABLE', true],
    [sdkError('NoSuchKey', 404), NotFoundError, 'STORAGE_NOT_FOUND', false],
    [sdkError('NotFound', 404), NotFoundError, 'STORAGE_NOT_FOUND', false],
    [sdkError('NoSuchBucket', 404), NotFoundError, 'STORAGE_BUCKET_NOT_FOUND', false],
    [sdkError('AccessDenied', 403), ExternalError, 'STORAGE_ACCESS_DENIED', false],
    [sdkError('InvalidArgument', 400), ExternalError, 'STORAGE_S3_ERROR', false],
  ])('maps %s to its error class, code and retryability', (error, type, code, retryable) => {
    const mapped = s3Error(error, context)
    expect(mapped).toBeInstanceOf(type)
    expect(mapped).toMatchObject({code, retryable, hint: expect.any(String)})
    expect(mapped.cause).toBe(error)
  })

  it('keeps the raw HTTP response out of what serialises', () => {
    const error = sdkError('NoSuchKey', 404)
    s3Error(error, context)
    expect(Object.keys(error)).not.toContain('$response')
    expect(error.$response).toEqual({huge: true})
  })

  it('names the endpoint in the message of an outage', () => {
    expect(s3Error(sdkError('Error', undefined, 'ECONNREFUSED'), context).message).toContain('http://minio:9000')
  })
})
