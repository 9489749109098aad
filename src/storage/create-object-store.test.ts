import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {UserInputError} from '../errors/index.js'
import {createObjectStore, DEFAULT_STORAGE_URI, parseStorageUri, s3SettingsFromEnv} from './create-object-store.js'
import {FileObjectStore} from './file-object-store.js'
import {S3ObjectStore} from './s3-object-store.js'

describe('parseStorageUri', () => {
  const cwd = '/srv/app'

  it.each([
    ['file://./output/storage', '/srv/app/output/storage'],
    ['file://output/storage', '/srv/app/output/storage'],
    ['file:///var/data/store', '/var/data/store'],
    ['file:///var/my%20data', '/var/my data'],
    ['file://localhost/var/data', '/var/data'],
    ['./relative', '/srv/app/relative'],
    ['relative/dir', '/srv/app/relative/dir'],
    ['/abs/dir', '/abs/dir'],
  ])('reads %s as the directory %s', (uri, root) => {
    expect(parseStorageUri(uri, cwd)).toEqual({kind: 'file', root})
  })

  it('resolves the default URI under the working directory', () => {
    expect(parseStorageUri(DEFAULT_STORAGE_URI, cwd)).toEqual({kind: 'file', root: path.join(cwd, 'output/storage')})
  })

  it.each([
    ['s3://bucket', {bucket: 'bucket', prefix: ''}],
    ['s3://bucket/', {bucket: 'bucket', prefix: ''}],
    ['s3://my-bucket.data/team/factflow', {bucket: 'my-bucket.data', prefix: 'team/factflow/'}],
    ['s3://bucket/prefix/', {bucket: 'bucket', prefix: 'prefix/'}],
  ])('reads %s as bucket and prefix', (uri, expected) => {
    expect(parseStorageUri(uri, cwd)).toEqual({kind: 's3', ...expected})
  })

  it.each([
    ['http://example.org/storage', 'scheme "http:"'],
    ['gs://bucket/x', 'scheme "gs:"'],
    ['', 'empty'],
    ['file://', 'no directory'],
    ['file:relative', 'file://'],
    ['s3://', 'bucket name'],
    ['s3://Upper_Case/x', 'bucket name'],
    ['s3://bucket/../escape', 'prefix'],
  ])('rejects %j with STORAGE_URI_INVALID naming the accepted forms', (uri, reason) => {
    let caught: unknown
    try {
      parseStorageUri(uri, cwd)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UserInputError)
    expect(caught).toMatchObject({code: 'STORAGE_URI_INVALID', hint: expect.stringContaining('s3://bucket/prefix')})
    expect((caught as Error).message).toContain(reason)
  })
})

describe('s3SettingsFromEnv', () => {
  it('reads endpoint, region, keys and path style from the usual variables', () => {
    expect(s3SettingsFromEnv({
      AWS_ENDPOINT_URL: 'http://aws-endpoint', FACTFLOW_S3_ENDPOINT: 'http://minio:9000', AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token', FACTFLOW_S3_FORCE_PATH_STYLE: 'false',
    })).toEqual({
      endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: false,
      credentials: {accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'token'},
    })
  })

  it('leaves credentials to the SDK default chain unless both keys are set', () => {
    expect(s3SettingsFromEnv({AWS_ACCESS_KEY_ID: 'id', AWS_ENDPOINT_URL: 'http://e'})).toEqual({endpoint: 'http://e'})
  })
})

describe('createObjectStore', () => {
  it('builds a FileObjectStore for file URIs and bare paths', async () => {
    const store = await createObjectStore('file://./tmp-store', {cwd: '/srv/app'})
    expect(store).toBeInstanceOf(FileObjectStore)
    expect(store.uri).toBe('file:///srv/app/tmp-store')
    expect(await createObjectStore('/srv/other')).toBeInstanceOf(FileObjectStore)
  })

  it('builds an S3ObjectStore whose explicit options win over the environment, without contacting S3', async () => {
    const store = await createObjectStore('s3://bucket/runs', {
      env: {FACTFLOW_S3_ENDPOINT: 'http://127.0.0.1:1', AWS_REGION: 'eu-central-1'},
      s3: {region: 'us-west-2', endpoint: undefined},
    })
    expect(store).toBeInstanceOf(S3ObjectStore)
    expect(store.uri).toBe('s3://bucket/runs/')
    await store.close?.()
  })
})
