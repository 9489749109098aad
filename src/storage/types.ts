import type {Readable} from 'node:stream'

/**
 * Object storage (docs/reference/engine.md, "Storage"). `file://` and `s3://` implement it and pass
 * `test/contracts/object-store.contract.ts`. Keys are relative, `/`-separated; keys with `..`
 * segments, a leading `/`, a backslash or NUL are rejected with a `StorageKeyError` (code
 * `STORAGE_INVALID_KEY`, see `keys.ts` for the full rule set).
 */
export interface ObjectMetadata {
  content_type: string
  content_length: number
  sha256: string
  created_at: string
  execution_id?: string
  route_id?: string
  stage?: string
  correlation_id?: string
  message_id?: string
  source_url?: string
  title?: string
  document_id?: string
  [key: string]: string | number | undefined
}

export type PutMetadata = Partial<ObjectMetadata>

export interface StoredObject {
  key: string
  size: number
  content_type: string
  last_modified: Date
  metadata?: ObjectMetadata
}

export interface ListOptions {
  /** With a delimiter ("/"), keys past it are folded into `common_prefixes`. */
  delimiter?: string
  /**
   * Read each object's stored metadata (one extra read per object; a HEAD request on S3). Without
   * it `metadata` is absent and `content_type` is guessed from the key's extension.
   */
  includeMetadata?: boolean
  /** Most entries to return, objects and common prefixes counted together (like S3 MaxKeys). */
  limit?: number
  /** `next_cursor` of the previous page. */
  cursor?: string
}

export interface ListResult {
  /** In key order (UTF-8 byte order, as S3). */
  objects: StoredObject[]
  common_prefixes: string[]
  /** Present only when more entries follow: pass it as `cursor` to get the next page. */
  next_cursor?: string
}

export interface StorageCreatedEvent {
  type: 'storage.object.created'
  key: string
  size: number
  content_type: string
  metadata: ObjectMetadata
}

/** Bytes `start`..`end` of an object, both inclusive (an HTTP byte range, resolved). */
export interface ByteRange {
  start: number
  end: number
}

/** An object being read as a stream: what `getStream` answers. */
export interface ObjectStream {
  /** The object's bytes, or those of the range asked for; read it to the end or destroy it. */
  stream: Readable
  /** The whole object (`size` is its full length, also for a range). */
  object: StoredObject & {metadata: ObjectMetadata}
}

export interface ObjectStore {
  /** The URI it was built from (`file:///abs/path`, `s3://bucket/prefix`). */
  readonly uri: string
  /** Writes (overwrites) an object and its sidecar metadata; sha256 and length are computed here. */
  put(key: string, body: Uint8Array | string, metadata?: PutMetadata): Promise<StoredObject>
  /**
   * `put` from a local file, streamed in (flat memory whatever its size); the file is left in place.
   * Same metadata, events and errors as `put`.
   */
  putFile(key: string, file: string, metadata?: PutMetadata): Promise<StoredObject>
  /** Throws `NotFoundError` (code `STORAGE_NOT_FOUND`) when absent. */
  get(key: string): Promise<{body: Buffer; metadata: ObjectMetadata}>
  /**
   * Streams an object without holding it in memory (downloads, archives); `range` must lie within
   * the object (check against `head` first). Throws `NotFoundError` (`STORAGE_NOT_FOUND`) when absent.
   */
  getStream(key: string, range?: ByteRange): Promise<ObjectStream>
  head(key: string): Promise<StoredObject | null>
  exists(key: string): Promise<boolean>
  list(prefix: string, options?: ListOptions): Promise<ListResult>
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>
  /** Subscribe to `storage.object.created`; returns the unsubscribe function. */
  onCreated(listener: (event: StorageCreatedEvent) => void): () => void
  close?(): Promise<void>
}
