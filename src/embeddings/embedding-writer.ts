import {sqlState} from '../db/database-errors.js'
import type {Database} from '../db/types.js'
import {ExternalError} from '../errors/index.js'
import type {Embedder} from './embedder.js'
import {embeddingId} from './embedding-id.js'
import {EmbeddingStore, segmentKey, type EmbeddingRecord, type StoredSegment} from './embedding-store.js'
import {MicroBatcher} from './micro-batcher.js'

/** One segment to embed, as read from a segment message. */
export interface SegmentInput {
  documentId: string
  segmentIndex: number
  /**
   * Where the document came from (source_url, url or path). When a source's document arrives under
   * a new id, the rows of its old id are deleted.
   */
  source?: string
  text: string
  /**
   * Where the passage sits (document title, heading path), embedded in front of `text`: a passage
   * deep in a page rarely names what the page is about. Not part of `contentHash` (a heading-only
   * change keeps the stored vector until the passage itself changes).
   */
  context?: string
  /** sha256 of `text`. */
  contentHash: string
  documentContentHash?: string
  /** Segments of the document's current version, when known (segment_publisher says). */
  segmentCount?: number
  headingPath?: unknown[]
  metadata?: Record<string, unknown>
  signal?: AbortSignal
}

export interface SegmentWriteResult {
  embeddingId: string
  /** True when the stored vector was reused (same content hash): no embedding call was paid. */
  unchanged: boolean
}

export interface EmbeddingWriterOptions {
  database: () => Promise<Database>
  embedder: Embedder
  slot: string
  /** Most segments per embedding call and per upsert (default 64). */
  batchSize?: number
  /** See `MicroBatcherOptions.lingerMs` (default 0). */
  lingerMs?: number
  /**
   * The database was created for this run (`AdapterResources.newDatabase`): a segment whose key,
   * document version and source no writer of this slot has touched in this process cannot have a
   * row, so it is written without a lookup, a delete or a clean-up (see `FirstRun`).
   */
  emptyAtStart?: boolean
}

export interface EmbeddingWriter {
  /**
   * Embeds and stores one segment (batched with concurrent calls), or reuses its stored vector when
   * its content hash is unchanged. Deletes rows of the document's older version that the new one no
   * longer has. Rejects when the embedder or the database fails (the whole batch fails alike).
   */
  write(segment: SegmentInput): Promise<SegmentWriteResult>
  /** Waits for the segments submitted so far. */
  drain(): Promise<void>
}

/**
 * The storage side of `embedding_generator` (docs/reference/engine.md, "Incremental re-runs"): per batch one
 * lookup of the stored hashes, one embedding call for the new or changed texts, one multi-row
 * upsert, then the clean-up of stale segments. The slot is registered on the first batch.
 */
export function createEmbeddingWriter(options: EmbeddingWriterOptions): EmbeddingWriter {
  const {embedder, slot} = options
  let store: Promise<EmbeddingStore> | undefined
  let firstRun: FirstRun | undefined
  const openStore = () => {
    store ??= options.database().then((db) => {
      firstRun = firstRunOf(db, slot)
      return EmbeddingStore.open(db, slot, embedder.model, embedder.dimensions)
    })
    // A failed open (database not ready, slot mismatch) is tried again by the next batch.
    store.catch(() => { store = undefined })
    return store
  }

  // Document versions already cleaned up by this writer: later segments of the same version skip the
  // clean-up statements (they are idempotent, so this only saves round trips).
  const cleaned = new Set<string>()
  const batcher = new MicroBatcher<SegmentInput, SegmentWriteResult>({
    maxSize: options.batchSize ?? 64,
    lingerMs: options.lingerMs,
    run: async (segments) => {
      const opened = await openStore()
      return writeBatch(opened, embedder, segments, cleaned, options.emptyAtStart === true ? firstRun : undefined, firstRun)
    },
  })
  return {
    write: (segment) => batcher.submit(segment),
    drain: () => batcher.drain(),
  }
}

/**
 * The stored row was embedded with the context this segment would be: the same heading path and
 * title (a renamed heading or page title changes the embedded passage, not the text's hash).
 */
function sameContext(row: StoredSegment, segment: SegmentInput): boolean {
  const title = segment.metadata?.title
  if ((row.title ?? undefined) !== (typeof title === 'string' ? title : undefined)) return false
  return JSON.stringify(row.headingPath ?? []) === JSON.stringify(segment.headingPath ?? [])
}

/**
 * What the writers of one slot have written (or tried to) in this process since its database was
 * created. On a new database a segment is *fresh* when its key is not here, its document was not
 * written under another version, and its source not under another document: no row can hold its
 * key, and no older row of its document or source can exist, so it needs no lookup, no delete and no
 * clean-up (on a 1,000-page first run those were three of the four statements of every batch).
 * Every writer of the slot records here, first-run or not, before it writes, so two executions of a
 * server never both take a key as fresh; should a row exist anyway (another process), the insert
 * fails with a unique violation and the batch takes the ordinary path.
 */
interface FirstRun {
  keys: Set<string>
  /** Document id → the version string (`versionOf`) written for it. */
  versions: Map<string, string>
  /** Source → the document id written for it. */
  sources: Map<string, string>
  /** Too many keys to remember: no segment is fresh any more (the ordinary path is always right). */
  full: boolean
}

const FIRST_RUN_KEYS = 500_000
const firstRuns = new WeakMap<Database, Map<string, FirstRun>>()

function firstRunOf(db: Database, slot: string): FirstRun {
  let slots = firstRuns.get(db)
  if (slots === undefined) firstRuns.set(db, slots = new Map())
  let state = slots.get(slot)
  if (state === undefined) slots.set(slot, state = {keys: new Set(), versions: new Map(), sources: new Map(), full: false})
  return state
}

const versionOf = (segment: SegmentInput) =>
  [segment.documentId, segment.documentContentHash, segment.segmentCount, segment.source].join('\u0000')

/** Splits a batch into fresh keys (see `FirstRun`) and the rest, and records all of them. */
function classify(unique: SegmentInput[], firstRun: FirstRun | undefined, record: FirstRun | undefined): Set<string> {
  const fresh = new Set<string>()
  for (const segment of unique) {
    const key = segmentKey(segment.documentId, segment.segmentIndex)
    const version = versionOf(segment)
    if (firstRun !== undefined && !firstRun.full && !firstRun.keys.has(key) &&
      (firstRun.versions.get(segment.documentId) ?? version) === version &&
      (segment.source === undefined || (firstRun.sources.get(segment.source) ?? segment.documentId) === segment.documentId)) {
      fresh.add(key)
    }
    if (record === undefined || record.full) continue
    record.keys.add(key)
    // A document or source seen under two versions stays marked by the first: neither is fresh again.
    if (!record.versions.has(segment.documentId)) record.versions.set(segment.documentId, version)
    if (segment.source !== undefined && !record.sources.has(segment.source)) record.sources.set(segment.source, segment.documentId)
    if (record.keys.size > FIRST_RUN_KEYS) record.full = true
  }
  return fresh
}

async function writeBatch(store: EmbeddingStore, embedder: Embedder, segments: SegmentInput[], cleaned: Set<string>,
  firstRun?: FirstRun, record?: FirstRun): Promise<SegmentWriteResult[]> {
  // A redelivered message can put one segment twice in a batch: the last copy wins, both get its result.
  const latest = new Map<string, SegmentInput>()
  for (const segment of segments) latest.set(segmentKey(segment.documentId, segment.segmentIndex), segment)
  const unique = [...latest.values()]
  const fresh = classify(unique, firstRun, record)
  const stored = fresh.size === 0
    ? await store.stored(unique)
    : await store.stored(unique.filter((segment) => !fresh.has(segmentKey(segment.documentId, segment.segmentIndex))))

  const results = new Map<string, SegmentWriteResult>()
  const toEmbed: SegmentInput[] = []
  const rehash = new Map<string, string[]>()
  const changedDocuments = new Map<string, SegmentInput>()
  // Documents with a changed segment that is not fresh: their clean-up runs.
  const notFresh = new Set<string>()
  for (const segment of unique) {
    const key = segmentKey(segment.documentId, segment.segmentIndex)
    const row = stored.get(key)
    const newVersion = segment.documentContentHash !== undefined && row?.documentContentHash !== segment.documentContentHash
    if (row === undefined || row.contentHash !== segment.contentHash || newVersion) {
      changedDocuments.set(segment.documentId, segment)
      if (!fresh.has(key)) notFresh.add(segment.documentId)
    }
    if (row !== undefined && row.contentHash === segment.contentHash && sameContext(row, segment)) {
      results.set(key, {embeddingId: row.id, unchanged: true})
      if (newVersion) {
        const ids = rehash.get(segment.documentContentHash as string) ?? []
        ids.push(row.id)
        rehash.set(segment.documentContentHash as string, ids)
      }
    } else {
      toEmbed.push(segment)
    }
  }

  if (toEmbed.length > 0) {
    const signals = toEmbed.flatMap((segment) => segment.signal === undefined ? [] : [segment.signal])
    const passages = toEmbed.map((segment) => segment.context ? `${segment.context}\n${segment.text}` : segment.text)
    const vectors = await embedder.embed(passages, signals.length > 0 ? AbortSignal.any(signals) : undefined)
    checkVectors(embedder, vectors, toEmbed.length)
    const records = toEmbed.map((segment, i): EmbeddingRecord => ({
      id: embeddingId(store.slot, segment.documentId, segment.segmentIndex),
      documentId: segment.documentId,
      segmentIndex: segment.segmentIndex,
      source: segment.source,
      contentHash: segment.contentHash,
      documentContentHash: segment.documentContentHash,
      text: segment.text,
      headingPath: segment.headingPath ?? [],
      metadata: segment.metadata ?? {},
      vector: vectors[i],
    }))
    // Keys the lookup found a row for are replaced; the others (fresh, or found empty) are inserted
    // by one COPY, and replaced only if a row turns up after all (another writer of the slot).
    const held = (record: EmbeddingRecord) => stored.has(segmentKey(record.documentId, record.segmentIndex))
    await store.replace(records.filter(held))
    const inserted = records.filter((record) => !held(record))
    try {
      await store.insertNew(inserted)
    } catch (error) {
      if (sqlState(error) !== '23505') throw error
      // A fresh key's row exists after all (another process wrote this slot): the ordinary path,
      // clean-up included.
      await store.replace(inserted)
      fresh.clear()
    }
    for (const record of records) {
      results.set(segmentKey(record.documentId, record.segmentIndex), {embeddingId: record.id, unchanged: false})
    }
  }
  for (const [hash, ids] of rehash) await store.setDocumentHash(ids, hash)

  // Stale rows go only after the new ones are written, so a document never has no rows mid-way.
  const counts = new Map<string, number>()
  const sources = new Map<string, string>()
  const versions: string[] = []
  for (const [documentId, segment] of changedDocuments) {
    const version = versionOf(segment)
    if (cleaned.has(version)) continue
    // A fresh segment's document has no other rows to clean up (see `FirstRun`).
    if (fresh.size > 0 && !notFresh.has(documentId)) continue
    versions.push(version)
    if (segment.segmentCount !== undefined) counts.set(documentId, segment.segmentCount)
    else if (segment.documentContentHash !== undefined) await store.deleteOtherVersions(documentId, segment.documentContentHash)
    if (segment.source !== undefined) sources.set(segment.source, documentId)
  }
  await store.deleteBeyond(counts)
  await store.deleteReplacedDocuments(sources)
  if (cleaned.size + versions.length > MAX_CLEANED) cleaned.clear()
  for (const version of versions) cleaned.add(version)

  return segments.map((segment) => results.get(segmentKey(segment.documentId, segment.segmentIndex)) as SegmentWriteResult)
}

const MAX_CLEANED = 100_000

function checkVectors(embedder: Embedder, vectors: Float32Array[], expected: number): void {
  const wrong = vectors.find((vector) => vector.length !== embedder.dimensions)
  if (vectors.length === expected && wrong === undefined) return
  throw new ExternalError('EMBEDDING_RESPONSE_INVALID',
    `The embedding provider answered ${vectors.length} vectors of ${wrong?.length ?? embedder.dimensions} dimensions; ` +
    `expected ${expected} of ${embedder.dimensions}`, {
      hint: 'Check the profile\'s model and `dimensions`: a slot holds vectors of one size.',
    })
}
