import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'

import type * as S3Sdk from '@aws-sdk/client-s3'

import type {Logger} from '../logging/logger.js'
import {contentTypeForKey} from './content-type.js'
import {createCreatedEmitter, type CreatedEmitter} from './created-events.js'
import {KeyLocks} from './key-locks.js'
import {MAX_KEY_BYTES, StorageKeyError, validateKey, validatePrefix} from './keys.js'
import {collectListing, compareKeys, decodeCursor, type ListingEntry} from './listing.js'
import {mapConcurrent} from './map-concurrent.js'
import {prepareFileObject, prepareObject} from './object-metadata.js'
import {s3Error} from './s3-errors.js'
import {fromS3Metadata, toS3Metadata} from './s3-metadata.js'
import type {ByteRange, ListOptions, ListResult, ObjectMetadata, ObjectStore, ObjectStream, PutMetadata, StorageCreatedEvent, StoredObject} from './types.js'

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Everything S3ObjectStore needs; `createObjectStore` fills it from the URI, options and env. */
export interface S3ObjectStoreOptions {
  bucket: string
  /** Key prefix inside the bucket (`''` or ending with `/`). */
  prefix?: string
  /** S3-compatible endpoint (MinIO, s3rver); omitted for AWS itself. */
  endpoint?: string
  /** Default `us-east-1`. */
  region?: string
  /** Omitted: the SDK's default chain (env, shared config, instance roles). */
  credentials?: S3Credentials
  /** Path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set (MinIO needs it). */
  forcePathStyle?: boolean
  /** SDK attempts per request, retries included (default 3). */
  maxAttempts?: number
  /** TCP connect timeout in ms (default 5000). */
  connectionTimeoutMs?: number
  /** Per-request timeout in ms (default 120000). */
  requestTimeoutMs?: number
  /** Keys per ListObjectsV2 request (default and S3's maximum: 1000). */
  listPageSize?: number
  logger?: Logger
}

type Sdk = typeof S3Sdk
type ListedObject = Omit<StoredObject, 'metadata'>

const HEAD_CONCURRENCY = 8

/**
 * `s3://bucket/prefix` storage over the AWS SDK v3; works with AWS, MinIO and other S3-compatible
 * servers. Metadata travels as `x-amz-meta-*` (see s3-metadata.ts). Build it with
 * `createS3ObjectStore`, which loads the SDK on first use. Errors: see `s3Error`.
 */
export class S3ObjectStore implements ObjectStore {
  readonly uri: string
  private readonly prefix: string
  private readonly created: CreatedEmitter
  private readonly keyLocks = new KeyLocks()

  constructor(
    private readonly sdk: Sdk,
    private readonly client: S3Sdk.S3Client,
    private readonly options: S3ObjectStoreOptions,
  ) {
    this.prefix = options.prefix ?? ''
    this.uri = `s3://${options.bucket}/${this.prefix}`
    this.created = createCreatedEmitter(options.logger)
  }

  onCreated(listener: (event: StorageCreatedEvent) => void): () => void {
    return this.created.on(listener)
  }

  async put(key: string, body: Uint8Array | string, metadata?: PutMetadata): Promise<StoredObject> {
    this.checkKey(key)
    const prepared = prepareObject(key, body, metadata)
    return this.write(key, prepared.metadata, () => prepared.bytes)
  }

  /** One PutObject with a known length (S3 takes up to 5 GB so); the file is read as it is sent. */
  async putFile(key: string, file: string, metadata?: PutMetadata): Promise<StoredObject> {
    this.checkKey(key)
    return this.write(key, await prepareFileObject(key, file, metadata), () => createReadStream(file))
  }

  private checkKey(key: string): void {
    validateKey(key)
    if (Buffer.byteLength(this.prefix + key) > MAX_KEY_BYTES) {
      throw new StorageKeyError(key, `with the store prefix "${this.prefix}" it is longer than S3's ${MAX_KEY_BYTES} bytes`)
    }
  }

  private async write(key: string, metadata: ObjectMetadata, body: () => Buffer | Readable): Promise<StoredObject> {
    const prepared = {metadata}
    const headers = toS3Metadata(key, prepared.metadata)
    await this.keyLocks.run(key, () => this.send('write', key, () => this.client.send(new this.sdk.PutObjectCommand({
      Bucket: this.options.bucket, Key: this.prefix + key, Body: body(),
      ContentLength: metadata.content_length, ...headers,
    }))))
    const stored: StoredObject & {metadata: ObjectMetadata} = {
      key, size: metadata.content_length, content_type: prepared.metadata.content_type,
      last_modified: new Date(prepared.metadata.created_at), metadata: prepared.metadata,
    }
    this.created.emit(stored)
    return stored
  }

  async get(key: string): Promise<{body: Buffer; metadata: ObjectMetadata}> {
    validateKey(key)
    const {output, body} = await this.send('read', key, async () => {
      const response = await this.client.send(new this.sdk.GetObjectCommand({Bucket: this.options.bucket, Key: this.prefix + key}))
      return {output: response, body: Buffer.from(await response.Body!.transformToByteArray())}
    })
    const metadata = fromS3Metadata(key, output)
    metadata.content_length = body.byteLength
    if (metadata.sha256 === '') metadata.sha256 = createHash('sha256').update(body).digest('hex')
    return {body, metadata}
  }

  async getStream(key: string, range?: ByteRange): Promise<ObjectStream> {
    validateKey(key)
    const output = await this.send('read', key, () => this.client.send(new this.sdk.GetObjectCommand({
      Bucket: this.options.bucket, Key: this.prefix + key, ...(range ? {Range: `bytes=${range.start}-${range.end}`} : {}),
    })))
    const metadata = fromS3Metadata(key, output)
    // With a range, Content-Range ("bytes 0-9/1234") carries the whole length.
    const size = Number(/\/(\d+)$/.exec(output.ContentRange ?? '')?.[1] ?? output.ContentLength ?? 0)
    metadata.content_length = size
    return {
      stream: output.Body as Readable,
      object: {key, size, content_type: metadata.content_type, last_modified: output.LastModified ?? new Date(0), metadata},
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    validateKey(key)
    try {
      const output = await this.client.send(new this.sdk.HeadObjectCommand({Bucket: this.options.bucket, Key: this.prefix + key}))
      const metadata = fromS3Metadata(key, output)
      return {key, size: output.ContentLength ?? 0, content_type: metadata.content_type, last_modified: output.LastModified ?? new Date(0), metadata}
    } catch (error) {
      const mapped = s3Error(error, this.errorContext('read', key))
      // HEAD has no body, so a missing bucket also reads as 404 NotFound.
      if (mapped.code === 'STORAGE_NOT_FOUND') return null
      throw mapped
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    validatePrefix(prefix)
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    const pageSize = this.options.listPageSize ?? 1000
    // One entry past the limit tells whether a next page exists.
    const firstPageSize = Math.min(pageSize, (options.limit ?? pageSize) + 1)
    const entries = this.listEntries(prefix, options.delimiter || undefined, cursor?.after, firstPageSize)
    const page = await collectListing(entries, {limit: options.limit, cursor: options.cursor})
    const objects = options.includeMetadata
      ? (await mapConcurrent(page.objects, HEAD_CONCURRENCY, (object) => this.head(object.key))).filter((o): o is StoredObject => o !== null)
      : page.objects
    return {
      objects, common_prefixes: page.common_prefixes,
      ...(page.next_cursor === undefined ? {} : {next_cursor: page.next_cursor}),
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key)
    await this.send('delete', key, () => this.client.send(new this.sdk.DeleteObjectCommand({Bucket: this.options.bucket, Key: this.prefix + key})))
  }

  async close(): Promise<void> {
    this.client.destroy()
  }

  /** ListObjectsV2 pages as one key-ordered stream (each page's objects and prefixes merged). */
  private async *listEntries(prefix: string, delimiter: string | undefined, after: string | undefined, firstPageSize: number): AsyncGenerator<ListingEntry<ListedObject>> {
    let token: string | undefined
    let pageSize = firstPageSize
    do {
      const request = {
        Bucket: this.options.bucket, Prefix: this.prefix + prefix, Delimiter: delimiter, MaxKeys: pageSize,
        ...(token ? {ContinuationToken: token} : after === undefined ? {} : {StartAfter: this.prefix + after}),
      }
      const output = await this.send('list', prefix, () => this.client.send(new this.sdk.ListObjectsV2Command(request)))
      const page: Array<ListingEntry<ListedObject>> = []
      for (const object of output.Contents ?? []) {
        const key = object.Key!.slice(this.prefix.length)
        page.push({kind: 'object', key, value: {key, size: object.Size ?? 0, content_type: contentTypeForKey(key), last_modified: object.LastModified ?? new Date(0)}})
      }
      for (const common of output.CommonPrefixes ?? []) page.push({kind: 'prefix', key: common.Prefix!.slice(this.prefix.length)})
      yield* page.sort((a, b) => compareKeys(a.key, b.key))
      token = output.IsTruncated ? output.NextContinuationToken : undefined
      pageSize = this.options.listPageSize ?? 1000
    } while (token)
  }

  /** Runs one SDK call, mapping its failure through `s3Error`. */
  private async send<T>(action: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      throw s3Error(error, this.errorContext(action, key))
    }
  }

  private errorContext(action: string, key: string) {
    return {action, key, uri: this.uri, endpoint: this.options.endpoint}
  }
}

/**
 * Builds an S3ObjectStore, importing `@aws-sdk/client-s3` here so that commands which never touch
 * S3 do not pay for loading it. Does not contact S3 (the first request does).
 */
export async function createS3ObjectStore(options: S3ObjectStoreOptions): Promise<S3ObjectStore> {
  // The SDK warns on stderr at client creation that future releases need Node 22; factflow pins a
  // release that runs on Node 20, so the warning is noise for users. An explicit setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const sdk = await import('@aws-sdk/client-s3')
  const customEndpoint = options.endpoint !== undefined
  const client = new sdk.S3Client({
    region: options.region ?? 'us-east-1',
    ...(customEndpoint ? {endpoint: options.endpoint} : {}),
    ...(options.credentials ? {credentials: options.credentials} : {}),
    forcePathStyle: options.forcePathStyle ?? customEndpoint,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {connectionTimeout: options.connectionTimeoutMs ?? 5000, requestTimeout: options.requestTimeoutMs ?? 120_000},
    // S3-compatible servers (MinIO releases, Ceph, s3rver) differ in their support of the SDK's
    // default CRC32 checksums; send and check them only where the operation requires them.
    ...(customEndpoint ? {requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED'} as const : {}),
  })
  return new S3ObjectStore(sdk, client, options)
}
