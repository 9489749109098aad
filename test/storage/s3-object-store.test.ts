import {randomUUID} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {NotFoundError, UnavailableError} from '../../src/errors/index.js'
import {createObjectStore} from '../../src/storage/create-object-store.js'
import {createS3ObjectStore, S3ObjectStore} from '../../src/storage/s3-object-store.js'
import {objectStoreContract} from '../contracts/object-store.contract.js'
import {startS3rver, type S3rverProcess} from './s3rver-process.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const BUCKET = 'factflow-test'
// s3rver's built-in account.
const credentials = {accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER'}

let server: S3rverProcess
let directory: string
let endpoint: string
let raw: S3Client

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'factflow-s3rver-'))
  server = await startS3rver({directory, buckets: [BUCKET]})
  endpoint = server.endpoint
  raw = new S3Client({endpoint, region: 'us-east-1', forcePathStyle: true, credentials})
})

afterAll(async () => {
  raw?.destroy()
  await server?.stop()
  await rm(directory, {recursive: true, force: true})
})

async function bucketKeys(prefix = ''): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await raw.send(new ListObjectsV2Command({Bucket: BUCKET, Prefix: prefix, ContinuationToken: token}))
    keys.push(...(page.Contents ?? []).map((object) => object.Key!))
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return keys
}

function makeStore(prefix: string, extra: {listPageSize?: number} = {}): Promise<S3ObjectStore> {
  return createS3ObjectStore({bucket: BUCKET, prefix, endpoint, region: 'us-east-1', credentials, maxAttempts: 1, ...extra})
}

objectStoreContract('S3ObjectStore (s3rver)', async () => {
  const prefix = `contract-${randomUUID()}/`
  const store = await makeStore(prefix)
  return {
    store,
    cleanup: async () => {
      // One at a time: s3rver's concurrent deletes race while pruning its folders (HTTP 500).
      for (const key of await bucketKeys(prefix)) await store.delete(key.slice(prefix.length))
      await store.close()
    },
    writtenOutside: async () => (await bucketKeys()).filter((key) => !key.startsWith(prefix)),
  }
})

describe('S3ObjectStore', () => {
  it('is built from an s3:// URI with endpoint, region and keys from the environment', async () => {
    const store = await createObjectStore(`s3://${BUCKET}/from-env`, {
      env: {FACTFLOW_S3_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER'},
    })
    try {
      expect(store.uri).toBe(`s3://${BUCKET}/from-env/`)
      await store.put('x.txt', 'via env')
      expect(await bucketKeys('from-env/')).toEqual(['from-env/x.txt'])
      await store.delete('x.txt')
    } finally {
      await store.close?.()
    }
  })

  it('keeps metadata as x-amz-meta headers other S3 tools can read', async () => {
    const store = await makeStore('headers/')
    await store.put('page.html', '<p>x</p>', {title: 'Ünïcode title', source_url: 'https://example.org/a?b=1', execution_id: 'e1', page_count: 2})
    const head = await raw.send(new HeadObjectCommand({Bucket: BUCKET, Key: 'headers/page.html'}))
    expect(head.ContentType).toBe('text/html')
    expect(head.Metadata).toMatchObject({source_url: 'https://example.org/a?b=1', execution_id: 'e1', page_count: '2'})
    expect(decodeURIComponent(head.Metadata!.title)).toBe('Ünïcode title')
    expect((await store.get('page.html')).metadata.page_count).toBe(2)
    await store.delete('page.html')
    await store.close()
  })

  it('reads objects written by other tools, computing what their metadata lacks', async () => {
    await raw.send(new PutObjectCommand({Bucket: BUCKET, Key: 'foreign/data.json', Body: '{"a":1}'}))
    const store = await makeStore('foreign/')
    const {body, metadata} = await store.get('data.json')
    expect(body.toString()).toBe('{"a":1}')
    expect(metadata.content_length).toBe(7)
    expect(metadata.sha256).toMatch(/^[0-9a-f]{64}$/)
    await store.delete('data.json')
    await store.close()
  })

  it('refuses metadata larger than S3 allows with STORAGE_METADATA_TOO_LARGE', async () => {
    const store = await makeStore('big-meta/')
    await expect(store.put('x.txt', 'x', {title: 'é'.repeat(1000)})).rejects.toMatchObject({code: 'STORAGE_METADATA_TOO_LARGE'})
    expect(await store.exists('x.txt')).toBe(false)
    await store.close()
  })

  it('lists across ListObjectsV2 pages, with and without a delimiter', async () => {
    const store = await makeStore('paged/', {listPageSize: 3})
    const keys = ['a/1', 'a/2', 'b/1', 'c.txt', 'd/1', 'e.txt', 'f.txt', 'g/1']
    await Promise.all(keys.map((key) => store.put(key, key)))
    expect((await store.list('')).objects.map((object) => object.key)).toEqual(keys)
    const folded = await store.list('', {delimiter: '/'})
    expect(folded.objects.map((object) => object.key)).toEqual(['c.txt', 'e.txt', 'f.txt'])
    expect(folded.common_prefixes).toEqual(['a/', 'b/', 'd/', 'g/'])
    const page = await store.list('', {limit: 5})
    expect(page.objects).toHaveLength(5)
    expect((await store.list('', {cursor: page.next_cursor})).objects.map((object) => object.key)).toEqual(['e.txt', 'f.txt', 'g/1'])
    for (const key of keys) await store.delete(key)
    await store.close()
  })

  it('reports an unreachable endpoint as a retryable UnavailableError', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const store = await createS3ObjectStore({bucket: BUCKET, endpoint: `http://127.0.0.1:${port}`, credentials, maxAttempts: 1})
    for (const attempt of [() => store.put('x.txt', 'x'), () => store.get('x.txt'), () => store.head('x.txt'), () => store.list('')]) {
      const error = await attempt().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(UnavailableError)
      expect(error).toMatchObject({code: 'STORAGE_UNAVAILABLE', retryable: true, hint: expect.stringContaining('FACTFLOW_S3_ENDPOINT')})
    }
    await store.close()
  })

  it('reports a missing bucket as STORAGE_BUCKET_NOT_FOUND with a hint to create it', async () => {
    const store = await createS3ObjectStore({bucket: 'no-such-bucket', endpoint, credentials, maxAttempts: 1})
    const error = await store.put('x.txt', 'x').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({code: 'STORAGE_BUCKET_NOT_FOUND', hint: expect.stringContaining('Create the bucket')})
    await store.close()
  })

  it('reports an unknown access key as STORAGE_ACCESS_DENIED', async () => {
    const store = await createS3ObjectStore({bucket: BUCKET, endpoint, credentials: {accessKeyId: 'UNKNOWN', secretAccessKey: 'wrong'}, maxAttempts: 1})
    await expect(store.put('x.txt', 'x')).rejects.toMatchObject({code: 'STORAGE_ACCESS_DENIED', retryable: false})
    await store.close()
  })
})
