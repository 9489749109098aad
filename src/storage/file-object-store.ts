import {createHash, randomUUID} from 'node:crypto'
import {closeSync, constants, createReadStream, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, type Stats, unlinkSync, writeSync} from 'node:fs'
import {copyFile, lstat, mkdir, open, readdir, readFile, realpath, rename, rmdir, stat, unlink} from 'node:fs/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Logger} from '../logging/logger.js'
import {syncTree} from '../os/sync-file-system.js'
import {currentProcessIdentity, formatProcessIdentity, isProcessAlive, parseProcessIdentity} from '../os/process-identity.js'
import {contentTypeForKey} from './content-type.js'
import {createCreatedEmitter, type CreatedEmitter} from './created-events.js'
import {fileStoreError, isAbsent, keyConflict, objectNotFound} from './file-errors.js'
import {walkObjects} from './file-listing.js'
import {KeyLocks} from './key-locks.js'
import {METADATA_SIDECAR_SUFFIX, RESERVED_SEGMENT_PREFIX, StorageKeyError, validateKey, validatePrefix} from './keys.js'
import {checkLimit, collectListing, decodeCursor} from './listing.js'
import {mapConcurrent} from './map-concurrent.js'
import {prepareFileObject, prepareObject} from './object-metadata.js'
import type {ByteRange, ListOptions, ListResult, ObjectMetadata, ObjectStore, ObjectStream, PutMetadata, StorageCreatedEvent, StoredObject} from './types.js'

export interface FileObjectStoreOptions {
  /** Directory holding the objects (resolved against the working directory); created on first write. */
  root: string
  /**
   * When objects reach the disk (a process crash loses nothing either way: a renamed file is in
   * the OS's cache). `each` (default): fsynced before being renamed into place, so a power loss
   * cannot leave a truncated object behind; ~1–2 ms of a put. `on-close`: `close()` syncs
   * everything written since the last close (`syncTree`: one syncfs, else an fsync per changed
   * file and folder), as the
   * embedded database syncs its files when it closes; a power loss during the run may leave
   * truncated objects. `off`: left to the OS's write-back (tests, scratch stores).
   */
  sync?: FileSync
  /**
   * `inline`: objects up to 1 MiB are written and read with synchronous calls on the calling
   * thread, one step per put or get, instead of one thread-pool round trip per system call (≈ 9
   * per put: two context switches each). For a batch run, whose event loop has nothing waiting on
   * it that a few tens of µs would delay; never with `sync: 'each'` (an fsync would block it). On
   * a slow disk or a network file system those calls block the event loop for as long as the disk
   * takes (a cold read, write-back throttling).
   * `pool` (default): every call through libuv's thread pool.
   */
  smallIo?: 'inline' | 'pool'
  /** Receives errors thrown by `onCreated` listeners. */
  logger?: Logger
}

export type FileSync = 'each' | 'on-close' | 'off'

/** Objects up to this size take the inline path (`smallIo: 'inline'`). */
const INLINE_IO_MAX_BYTES = 1 << 20

/** Bounds `checkedFolders` (a store written under many folders forgets and re-checks them). */
const MAX_CHECKED_FOLDERS = 10_000

const STAGING_DIR = `${RESERVED_SEGMENT_PREFIX}-staging`
/** Staged files are named `<pid>@<start>.<uuid>.tmp`, so a sweep can tell a dead writer's from a live one's. */
const STAGING_OWNER = formatProcessIdentity(currentProcessIdentity())
/** Staged files of the old form (`<uuid>.tmp`, no owner) are swept once older than this. */
const UNOWNED_STAGING_MAX_AGE_MS = 60 * 60 * 1000

/**
 * Removes staged files whose writer died (a killed run): the writer's identity is in the name, and
 * a reused pid does not pass for it. Files of live writers (another process sharing the root) stay.
 */
async function sweepStaging(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[])
  await Promise.all(names.map(async (name) => {
    const owner = parseProcessIdentity(name.slice(0, name.indexOf('.')))
    const file = path.join(folder, name)
    if (owner === undefined) {
      const info = await stat(file).catch(() => undefined)
      if (!info || Date.now() - info.mtimeMs < UNOWNED_STAGING_MAX_AGE_MS) return
    } else if (formatProcessIdentity(owner) === STAGING_OWNER || isProcessAlive(owner)) {
      return
    }
    await unlink(file).catch(() => undefined)
  }))
}

/**
 * `file://` storage. Each object is a file at `<root>/<key>` with its metadata in
 * `<root>/<key>.meta.json`. Both are written to `<root>/.factflow-staging/` first and renamed into
 * place, so readers see the old or the new object, never a partial one; puts to one key are
 * serialised within the process. Keys must resolve inside the root after following symlinks,
 * else `STORAGE_INVALID_KEY`. A key cannot also be a folder of another key (`a` and `a/b`):
 * `STORAGE_KEY_CONFLICT`.
 */
export class FileObjectStore implements ObjectStore {
  readonly uri: string
  readonly root: string
  private readonly sync: FileSync
  private readonly inlineIo: boolean
  /**
   * `on-close`: when the first object not yet synced was written (a second early: file times may
   * be coarser than the clock); undefined when everything written was synced.
   */
  private unsyncedSince: number | undefined
  private readonly logger: Logger | undefined
  private readonly created: CreatedEmitter
  private readonly keyLocks = new KeyLocks()
  private realRoot: Promise<string> | undefined
  /**
   * Folders this process has seen resolve inside the root (by path): a put into one of them needs no
   * realpath. Forgotten when a delete prunes folders or a rename finds a folder gone.
   */
  private readonly checkedFolders = new Set<string>()

  constructor(options: FileObjectStoreOptions) {
    this.root = path.resolve(options.root)
    this.uri = pathToFileURL(this.root).href
    this.sync = options.sync ?? 'each'
    this.inlineIo = options.smallIo === 'inline' && this.sync !== 'each'
    this.created = createCreatedEmitter(options.logger)
    this.logger = options.logger
  }

  onCreated(listener: (event: StorageCreatedEvent) => void): () => void {
    return this.created.on(listener)
  }

  async put(key: string, body: Uint8Array | string, metadata?: PutMetadata): Promise<StoredObject> {
    validateKey(key)
    const prepared = prepareObject(key, body, metadata)
    return this.write(key, prepared.metadata, prepared.bytes)
  }

  async putFile(key: string, file: string, metadata?: PutMetadata): Promise<StoredObject> {
    validateKey(key)
    return this.write(key, await prepareFileObject(key, file, metadata), {file})
  }

  private async write(key: string, metadata: ObjectMetadata, content: Buffer | {file: string}): Promise<StoredObject> {
    const prepared = {metadata}
    const sidecar = Buffer.from(`${JSON.stringify(prepared.metadata, null, 2)}\n`, 'utf8')
    const stored = await this.keyLocks.run(key, async () => {
      const realRoot = await this.ensureRoot(key)
      if (this.inlineIo && Buffer.isBuffer(content) && content.length <= INLINE_IO_MAX_BYTES) {
        await this.makeParentFolders(key, realRoot, path.dirname(this.pathOf(key)))
        const written = this.writeInline(key, metadata, content, sidecar)
        if (written) return written
      }
      const stagedObject = await this.stage(content, key, this.sync === 'each')
      // Not synced: a sidecar lost to a power cut reads as unparsable and is rebuilt from the object.
      const stagedSidecar = await this.stage(sidecar, key, false).catch(async (error) => {
        await unlink(stagedObject).catch(() => {})
        throw error
      })
      let published = 0
      try {
        const target = await this.publish(key, realRoot, stagedObject)
        published++
        this.markUnsynced()
        await this.publish(key, realRoot, stagedSidecar, METADATA_SIDECAR_SUFFIX)
        published++
        const info = await stat(target)
        return {key, size: prepared.metadata.content_length, content_type: prepared.metadata.content_type, last_modified: info.mtime, metadata: prepared.metadata}
      } finally {
        // Only what was not renamed into place is still staged.
        if (published < 2) await Promise.all([stagedObject, stagedSidecar].slice(published).map((file) => unlink(file).catch(() => {})))
      }
    })
    this.created.emit(stored)
    return stored
  }

  /**
   * The whole put in synchronous calls (`smallIo: 'inline'`); the folders exist and were checked.
   * Undefined when a folder vanished meanwhile: the caller takes the general path, which recreates it.
   */
  private writeInline(key: string, metadata: ObjectMetadata, content: Buffer, sidecar: Buffer): (StoredObject & {metadata: ObjectMetadata}) | undefined {
    const target = this.pathOf(key)
    const staged = [this.stagedName(), this.stagedName()]
    let published = 0
    try {
      try {
        writeStagedSync(staged[0], content)
        writeStagedSync(staged[1], sidecar)
      } catch (error) {
        throw fileStoreError(error, 'write', key, this.root)
      }
      try {
        renameSync(staged[0], target)
        published++
        this.markUnsynced()
        renameSync(staged[1], target + METADATA_SIDECAR_SUFFIX)
        published++
      } catch (error) {
        // A concurrent delete pruned the folder after it was checked: the general path recreates it.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && published === 0) {
          this.checkedFolders.clear()
          return undefined
        }
        if (isKeyConflictCode(error)) throw keyConflict(key, error)
        throw fileStoreError(error, 'write', key, this.root)
      }
      return {key, size: metadata.content_length, content_type: metadata.content_type, last_modified: statSync(target).mtime, metadata}
    } finally {
      for (const file of staged.slice(published)) {
        try {
          unlinkSync(file)
        } catch {
          // Not written, or already gone.
        }
      }
    }
  }

  private markUnsynced(): void {
    if (this.sync === 'on-close') this.unsyncedSince ??= Date.now() - 1000
  }

  private stagedName(): string {
    return path.join(this.root, STAGING_DIR, `${STAGING_OWNER}.${randomUUID()}.tmp`)
  }

  async get(key: string): Promise<{body: Buffer; metadata: ObjectMetadata}> {
    if (this.inlineIo) {
      const inline = this.getInline(key)
      if (inline) return inline
    }
    const file = await this.resolveExisting(key)
    if (!file) throw objectNotFound(key, this.uri)
    let body: Buffer
    try {
      body = await readFile(file)
    } catch (error) {
      if (isAbsent(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') throw objectNotFound(key, this.uri)
      throw fileStoreError(error, 'read', key, this.root)
    }
    const sha256 = createHash('sha256').update(body).digest('hex')
    const info = await stat(file)
    return {body, metadata: await this.readMetadata(key, file, info, sha256)}
  }

  /**
   * `get` in synchronous calls, for an object up to 1 MiB in a folder already checked (see
   * `checkedFolders`) that is a plain file with a sidecar that describes it; undefined otherwise
   * (the general path decides).
   */
  private getInline(key: string): {body: Buffer; metadata: ObjectMetadata} | undefined {
    validateKey(key)
    const file = this.pathOf(key)
    if (!this.checkedFolders.has(path.dirname(file))) return undefined
    try {
      // Opened without following a symlink (a symlinked object takes the general path, which
      // checks where it points) and described by its descriptor, so nothing can be swapped in
      // between the check and the read.
      const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
      let body: Buffer
      try {
        const info = fstatSync(fd)
        if (!info.isFile() || info.size > INLINE_IO_MAX_BYTES) return undefined
        body = readFileSync(fd)
      } finally {
        closeSync(fd)
      }
      const metadata = readSidecarSync(file + METADATA_SIDECAR_SUFFIX)
      if (metadata?.content_length !== body.length || metadata.sha256 !== createHash('sha256').update(body).digest('hex')) return undefined
      return {body, metadata}
    } catch {
      return undefined
    }
  }

  async getStream(key: string, range?: ByteRange): Promise<ObjectStream> {
    const file = await this.resolveExisting(key)
    if (!file) throw objectNotFound(key, this.uri)
    // Opened first and described by its handle: a put renaming a new file into place meanwhile
    // does not mix the old bytes with the new length.
    const handle = await open(file, constants.O_RDONLY).catch((error: unknown) => {
      if (isAbsent(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') throw objectNotFound(key, this.uri)
      throw fileStoreError(error, 'read', key, this.root)
    })
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw objectNotFound(key, this.uri)
      const metadata = await this.readMetadata(key, file, info)
      const stream = handle.createReadStream(range ? {start: range.start, end: range.end} : {})
      return {stream, object: {key, size: info.size, content_type: metadata.content_type, last_modified: info.mtime, metadata}}
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    const file = await this.resolveExisting(key)
    if (!file) return null
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return null
    const metadata = await this.readMetadata(key, file, info)
    return {key, size: info.size, content_type: metadata.content_type, last_modified: info.mtime, metadata}
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    validatePrefix(prefix)
    checkLimit(options.limit)
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    const realRoot = await realpath(this.root).catch(() => undefined)
    if (!realRoot) return {objects: [], common_prefixes: []}
    const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1)
    const startDir = path.join(this.root, ...dirKey.split('/'))
    // A prefix through a symlinked folder must not list outside the root.
    const realStart = await realpath(startDir).catch(() => undefined)
    if (!realStart) return {objects: [], common_prefixes: []}
    if (!isInside(realStart, realRoot)) throw new StorageKeyError(prefix, 'it resolves outside the store root')
    const page = await collectListing(
      walkObjects(startDir, dirKey, {realRoot, prefix, delimiter: options.delimiter || undefined, cursor}),
      {limit: options.limit, cursor: options.cursor},
    )
    const objects = await mapConcurrent(page.objects, 16, async (key) => {
      const file = this.pathOf(key)
      const info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) return undefined
      const object: StoredObject = {key, size: info.size, content_type: contentTypeForKey(key), last_modified: info.mtime}
      if (options.includeMetadata) {
        object.metadata = await this.readMetadata(key, file, info)
        object.content_type = object.metadata.content_type
      }
      return object
    })
    return {
      objects: objects.filter((object): object is StoredObject => object !== undefined),
      common_prefixes: page.common_prefixes,
      ...(page.next_cursor === undefined ? {} : {next_cursor: page.next_cursor}),
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key)
    const file = this.pathOf(key)
    const realRoot = await realpath(this.root).catch(() => undefined)
    if (!realRoot) return
    const realParent = await realpath(path.dirname(file)).catch(() => undefined)
    if (!realParent) return
    if (!isInside(realParent, realRoot)) throw new StorageKeyError(key, 'it resolves outside the store root')
    await this.keyLocks.run(key, async () => {
      for (const target of [file, file + METADATA_SIDECAR_SUFFIX]) {
        await unlink(target).catch((error) => {
          const code = (error as NodeJS.ErrnoException).code
          if (isAbsent(error) || code === 'EISDIR' || code === 'EPERM') return
          throw fileStoreError(error, 'delete', key, this.root)
        })
      }
      await this.pruneEmptyFolders(path.dirname(file))
    })
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'))
  }

  /**
   * `on-close`: makes what was written so far reach the disk (`syncTree` of the root: one syncfs,
   * else every file changed since the first unsynced write and every folder). The store stays
   * usable; later puts wait for the next call. Nothing to do in the other modes.
   */
  async close(): Promise<void> {
    const since = this.unsyncedSince
    if (since === undefined) return
    // Puts from here on are synced by the next close.
    this.unsyncedSince = undefined
    const failures = await syncTree(this.root, {modifiedSinceMs: since})
    if (failures.length > 0) {
      this.logger?.warn({root: this.root, failures: failures.slice(0, 10), failed: failures.length},
        'stored objects could not be synced to disk: a power loss may truncate them (a crash of the process cannot)')
    }
  }

  private async ensureRoot(key: string): Promise<string> {
    this.realRoot ??= (async () => {
      await mkdir(path.join(this.root, STAGING_DIR), {recursive: true})
      await sweepStaging(path.join(this.root, STAGING_DIR))
      return realpath(this.root)
    })()
    try {
      return await this.realRoot
    } catch (error) {
      this.realRoot = undefined
      throw fileStoreError(error, 'write', key, this.root)
    }
  }

  /** Writes `bytes` (or copies a local file) to a fresh file in the staging folder and returns its path. */
  private async stage(content: Buffer | {file: string}, key: string, fsync: boolean): Promise<string> {
    const staged = this.stagedName()
    for (let attempt = 0; ; attempt++) {
      try {
        if (!Buffer.isBuffer(content)) await copyFile(content.file, staged, constants.COPYFILE_EXCL)
        const handle = await open(staged, Buffer.isBuffer(content) ? 'wx' : 'r+')
        try {
          if (Buffer.isBuffer(content)) await handle.writeFile(content)
          if (fsync) await handle.sync()
        } finally {
          await handle.close()
        }
        return staged
      } catch (error) {
        await unlink(staged).catch(() => {})
        // The staging folder was removed behind our back: recreate it once.
        if (attempt === 0 && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          await mkdir(path.dirname(staged), {recursive: true}).catch(() => {})
          continue
        }
        throw fileStoreError(error, 'write', key, this.root)
      }
    }
  }

  /** Renames a staged file to `<key><suffix>`, creating folders and refusing symlink escapes. */
  private async publish(key: string, realRoot: string, staged: string, suffix = ''): Promise<string> {
    const target = this.pathOf(key) + suffix
    for (let attempt = 0; ; attempt++) {
      await this.makeParentFolders(key, realRoot, path.dirname(target))
      try {
        await rename(staged, target)
        return target
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        // A concurrent delete pruned the folder between mkdir and rename (or it was removed behind our back).
        if (code === 'ENOENT' && attempt < 3) {
          this.checkedFolders.clear()
          continue
        }
        if (isKeyConflictCode(error)) throw keyConflict(key, error)
        throw fileStoreError(error, 'write', key, this.root)
      }
    }
  }

  private async makeParentFolders(key: string, realRoot: string, folder: string): Promise<void> {
    if (this.checkedFolders.has(folder)) return
    await this.checkParentFolders(key, realRoot, folder)
    this.rememberFolder(folder)
  }

  private async checkParentFolders(key: string, realRoot: string, folder: string): Promise<void> {
    // The deepest folder that exists decides where the new ones land: it must be inside the root.
    let existing = folder
    for (;;) {
      try {
        const real = await realpath(existing)
        if (!isInside(real, realRoot)) throw new StorageKeyError(key, 'it resolves outside the store root')
        break
      } catch (error) {
        if (error instanceof StorageKeyError) throw error
        if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw keyConflict(key, error)
        if (!isAbsent(error) || existing === this.root) throw fileStoreError(error, 'write', key, this.root)
        existing = path.dirname(existing)
      }
    }
    if (existing === folder) return
    await mkdir(folder, {recursive: true}).catch((error) => {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST' || code === 'ENOTDIR') throw keyConflict(key, error)
      throw fileStoreError(error, 'write', key, this.root)
    })
  }

  /** The object's path when it exists and it and its folder resolve inside the root; null when absent. */
  private async resolveExisting(key: string): Promise<string | null> {
    validateKey(key)
    const file = this.pathOf(key)
    const folder = path.dirname(file)
    const orNull = (error: unknown) => { if (isAbsent(error)) return null; throw fileStoreError(error, 'read', key, this.root) }
    if (this.checkedFolders.has(folder)) {
      // A folder already seen inside the root (see `checkedFolders`): only the file itself may be a symlink.
      const info = await lstat(file).catch(orNull)
      if (!info) return null
      if (!info.isSymbolicLink()) return file
    }
    const [realRoot, realFolder, real] = await Promise.all([
      realpath(this.root).catch(orNull), realpath(folder).catch(orNull), realpath(file).catch(orNull),
    ])
    if (!realRoot || !realFolder || !real) return null
    // The folder is checked too: the sidecar lives beside the key's path, not beside a symlink's target.
    if (!isInside(real, realRoot) || !isInside(realFolder, realRoot)) throw new StorageKeyError(key, 'it resolves outside the store root')
    this.rememberFolder(folder)
    return file
  }

  private rememberFolder(folder: string): void {
    if (this.checkedFolders.size >= MAX_CHECKED_FOLDERS) this.checkedFolders.clear()
    this.checkedFolders.add(folder)
  }

  /**
   * The sidecar's metadata when it describes the file (same length, and same sha256 when known);
   * otherwise (no sidecar, or a crash between renaming the object and its sidecar) metadata
   * derived from the file itself.
   */
  private async readMetadata(key: string, file: string, info: Stats, sha256?: string): Promise<ObjectMetadata> {
    const parsed = await readSidecar(file + METADATA_SIDECAR_SUFFIX)
    if (parsed && parsed.content_length === info.size && (sha256 === undefined || parsed.sha256 === sha256)) return parsed
    const digest = sha256 ?? await sha256OfFile(file)
    return {content_type: contentTypeForKey(key), content_length: info.size, sha256: digest, created_at: info.mtime.toISOString()}
  }

  private async pruneEmptyFolders(folder: string): Promise<void> {
    this.checkedFolders.clear()
    let current = folder
    while (current !== this.root && isInside(current, this.root)) {
      try {
        await rmdir(current)
      } catch {
        return
      }
      current = path.dirname(current)
    }
  }
}

/** A rename failed because a key is also a folder of another key (or the reverse). */
function isKeyConflictCode(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENOTEMPTY' || code === 'EEXIST'
}

/** `readSidecar` in synchronous calls. */
function readSidecarSync(sidecar: string): ObjectMetadata | undefined {
  try {
    const fd = openSync(sidecar, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      return JSON.parse(readFileSync(fd, 'utf8')) as ObjectMetadata
    } finally {
      closeSync(fd)
    }
  } catch {
    return undefined
  }
}

/** Writes `bytes` to a new file (never an existing one) in synchronous calls; recreates a vanished staging folder once. */
function writeStagedSync(file: string, bytes: Buffer): void {
  let fd: number
  try {
    fd = openSync(file, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    mkdirSync(path.dirname(file), {recursive: true})
    fd = openSync(file, 'wx')
  }
  try {
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset)
  } finally {
    closeSync(fd)
  }
}

/** Streamed, so an object without a sidecar is described in flat memory whatever its size. */
async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Parsed sidecar, or undefined when absent, unreadable or a symlink (never followed). */
async function readSidecar(sidecar: string): Promise<ObjectMetadata | undefined> {
  try {
    const handle = await open(sidecar, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      return JSON.parse(await handle.readFile('utf8')) as ObjectMetadata
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}

function isInside(candidate: string, root: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep)
}
