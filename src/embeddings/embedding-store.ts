import type {Database} from '../db/types.js'
import {UserInputError} from '../errors/index.js'
import {BinaryCopyWriter} from '../db/binary-copy.js'
import {sqlState} from '../db/database-errors.js'
import {readVectorStorage, type VectorStorage} from './vector-storage.js'

/** One segment's vector as `embedding_generator` writes it. */
export interface EmbeddingRecord {
  id: string
  documentId: string
  segmentIndex: number
  /** Where the document came from (source_url, url or path), when known. */
  source: string | undefined
  contentHash: string
  documentContentHash: string | undefined
  text: string
  headingPath: unknown[]
  metadata: Record<string, unknown>
  vector: Float32Array
}

/** What is stored for a segment already: enough to decide whether to embed it again. */
export interface StoredSegment {
  id: string
  contentHash: string
  documentContentHash: string | null
  /** The heading path and title stored with it: part of what was embedded (the passage's context). */
  headingPath: unknown
  title: string | null
}

export interface SegmentKey {
  documentId: string
  segmentIndex: number
}

export const segmentKey = (documentId: string, segmentIndex: number): string => `${segmentIndex}\u0000${documentId}`

/**
 * The `embeddings` and `embedding_slots` tables of one slot (migrations/0002_embeddings.sql).
 * Lookups and deletes are one statement over arrays (`unnest`); a write of new rows is one COPY, a
 * replacement one transaction. Keyword-search terms of written rows are computed later
 * (`indexPendingTerms`); migration 0013's trigger records the written ids.
 */
export class EmbeddingStore {
  private constructor(private readonly db: Database, readonly slot: string, readonly storage: VectorStorage) {}

  /**
   * Registers the slot (model + dimensions) or checks it matches what is registered.
   * @throws UserInputError `EMBEDDING_SLOT_MISMATCH` when the slot holds another model or dimension.
   */
  static async open(db: Database, slot: string, model: string, dimensions: number): Promise<EmbeddingStore> {
    await db.query('INSERT INTO embedding_slots (slot, model, dimensions) VALUES ($1, $2, $3) ON CONFLICT (slot) DO NOTHING',
      [slot, model, dimensions])
    const {rows} = await db.query<{model: string; dimensions: number}>('SELECT model, dimensions FROM embedding_slots WHERE slot = $1', [slot])
    const registered = rows[0]
    if (registered !== undefined && (registered.model !== model || registered.dimensions !== dimensions)) {
      throw new UserInputError('EMBEDDING_SLOT_MISMATCH',
        `Embedding slot "${slot}" holds ${registered.model} (${registered.dimensions} dimensions), not ${model} (${dimensions})`, {
          hint: 'Vectors of different models cannot be compared: set another `slot` for this model, or delete the old slot.',
          details: {slot, registered, requested: {model, dimensions}},
        })
    }
    return new EmbeddingStore(db, slot, await readVectorStorage(db))
  }

  /** Stored rows of these segments, by `segmentKey`. */
  async stored(keys: readonly SegmentKey[]): Promise<Map<string, StoredSegment>> {
    const found = new Map<string, StoredSegment>()
    if (keys.length === 0) return found
    const {rows} = await this.db.query<{id: string; document_id: string; segment_index: number; content_hash: string;
      document_content_hash: string | null; heading_path: unknown; title: string | null}>(
      `SELECT e.id, e.document_id, e.segment_index, e.content_hash, e.document_content_hash, e.heading_path,
              e.metadata->>'title' AS title
         FROM unnest($2::text[], $3::int[]) AS k(document_id, segment_index)
        CROSS JOIN LATERAL (${BY_KEY('e.id, e.document_id, e.segment_index, e.content_hash, e.document_content_hash, e.heading_path, e.metadata')}) e`,
      [this.slot, keys.map((key) => key.documentId), keys.map((key) => key.segmentIndex)])
    for (const row of rows) {
      found.set(segmentKey(row.document_id, row.segment_index), {
        id: row.id, contentHash: row.content_hash, documentContentHash: row.document_content_hash,
        headingPath: row.heading_path, title: row.title,
      })
    }
    return found
  }

  /**
   * Inserts or replaces (same slot, document, segment index) the records; keys must be distinct.
   * On PGlite it first tries `insertNew` (one COPY) and replaces only when a key holds a row (a
   * unique violation writes nothing): the write path of new segments is one statement. On PostgreSQL
   * it replaces at once (`replace`). Keyword terms are computed later (`indexPendingTerms`): the
   * COPY records the written ids (migration 0013's trigger).
   */
  async upsert(records: readonly EmbeddingRecord[]): Promise<void> {
    if (records.length === 0) return
    const body = encodeRows(records, this.slot, this.storage)
    if (this.db.kind === 'pglite') {
      try {
        await this.db.copyFrom({table: 'embeddings', columns: ROW_COLUMNS}, body)
        return
      } catch (error) {
        if (sqlState(error) !== '23505') throw error
      }
    }
    await this.replaceRows(records, body)
  }

  /**
   * Replaces the rows these records' keys hold (keys must be distinct), or inserts them: one
   * transaction deletes the rows of these keys (their keyword terms go with them), then one binary
   * COPY writes the records. For records known to replace stored rows. No staging table and no
   * per-row text-search work: binary, because parsing vectors as text was most of the cost of a
   * write on PGlite; keyword terms later, because to_tsvector and the GIN entry were most of what
   * was left (see docs/decisions.md, "Vector writes" and "Keyword terms indexed after the write").
   */
  async replace(records: readonly EmbeddingRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.replaceRows(records, encodeRows(records, this.slot, this.storage))
  }

  /**
   * Inserts records whose keys hold no row (a new database's segments not written before, or keys
   * a lookup found empty): one binary COPY, without a delete. A key that does hold a row fails the
   * whole write with a unique violation (23505) and writes nothing.
   */
  async insertNew(records: readonly EmbeddingRecord[]): Promise<void> {
    if (records.length === 0) return
    const body = encodeRows(records, this.slot, this.storage)
    // PGlite is one connection and a COPY is its own transaction. On PostgreSQL writers of a slot
    // take turns (see `replaceRows`), so a concurrent replace never fails on a row copied here.
    if (this.db.kind === 'pglite') await this.db.copyFrom({table: 'embeddings', columns: ROW_COLUMNS}, body)
    else await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`factflow.embeddings:${this.slot}`])
      await tx.copyFrom({table: 'embeddings', columns: ROW_COLUMNS}, body)
    })
  }

  private async replaceRows(records: readonly EmbeddingRecord[], body: Uint8Array): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Two PostgreSQL connections writing one key would both delete nothing and one COPY would then
      // fail on the unique key; writers of a slot take turns instead (PGlite has one connection).
      if (this.db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`factflow.embeddings:${this.slot}`])
      await tx.query(
        `DELETE FROM embeddings WHERE id = ANY(ARRAY(
           SELECT e.id FROM unnest($2::text[], $3::int[]) AS k(document_id, segment_index) CROSS JOIN LATERAL (${BY_KEY('id')}) e))`,
        [this.slot, records.map((record) => record.documentId), records.map((record) => record.segmentIndex)])
      await tx.copyFrom({table: 'embeddings', columns: ROW_COLUMNS}, body)
    })
  }

  /** Records that unchanged segments now belong to a new version of their document. */
  async setDocumentHash(ids: readonly string[], documentContentHash: string): Promise<void> {
    if (ids.length === 0) return
    await this.db.query('UPDATE embeddings SET document_content_hash = $2, updated_at = now() WHERE id = ANY($1::uuid[])',
      [ids, documentContentHash])
  }

  /** Deletes, per document, the rows at or past its current segment count. Returns the rows deleted. */
  async deleteBeyond(counts: ReadonlyMap<string, number>): Promise<number> {
    if (counts.size === 0) return 0
    const {rowCount} = await this.db.query(
      `DELETE FROM embeddings WHERE id = ANY(ARRAY(
         SELECT e.id FROM unnest($2::text[], $3::int[]) AS k(document_id, segment_count) CROSS JOIN LATERAL (
           SELECT id FROM embeddings e WHERE e.slot = $1 AND e.document_id = k.document_id AND e.segment_index >= k.segment_count OFFSET 0) e))`,
      [this.slot, [...counts.keys()], [...counts.values()]])
    return rowCount
  }

  /**
   * Deletes the rows of other documents from the same source: given source → current document id,
   * the rows of that source under any other id (an older version under a content-derived id).
   */
  async deleteReplacedDocuments(current: ReadonlyMap<string, string>): Promise<number> {
    if (current.size === 0) return 0
    const {rowCount} = await this.db.query(
      `DELETE FROM embeddings WHERE id = ANY(ARRAY(
         SELECT e.id FROM unnest($2::text[], $3::text[]) AS k(source, document_id) CROSS JOIN LATERAL (
           SELECT id FROM embeddings e WHERE e.slot = $1 AND e.source = k.source AND e.document_id <> k.document_id OFFSET 0) e))`,
      [this.slot, [...current.keys()], [...current.values()]])
    return rowCount
  }

  /**
   * For a document whose segment count is unknown: deletes its rows written for another version
   * (`document_content_hash`). Call it after writing the batch's rows (they carry the new hash).
   * Segments of the new version still to come are embedded again, even when their text is unchanged:
   * the price of not knowing the count. Returns the rows deleted.
   */
  async deleteOtherVersions(documentId: string, documentContentHash: string): Promise<number> {
    const {rowCount} = await this.db.query(
      `DELETE FROM embeddings WHERE slot = $1 AND document_id = $2 AND document_content_hash IS DISTINCT FROM $3`,
      [this.slot, documentId, documentContentHash])
    return rowCount
  }
}

/**
 * The row of one key `k` (slot $1), as a LATERAL subquery: an index lookup per key whatever the
 * table's statistics. PGlite never runs autovacuum, so `embeddings` is never analysed; a plain join
 * with the keys' `unnest` was planned as a hash join over every row of the slot, one scan per
 * batch (48 ms per 64-key batch at 1,500 rows; 1.9 ms this way). The LIMIT keeps it from being
 * flattened into such a join; other per-key lookups here use OFFSET 0 for the same reason.
 */
const BY_KEY = (columns: string) =>
  `SELECT ${columns} FROM embeddings e WHERE e.slot = $1 AND e.document_id = k.document_id AND e.segment_index = k.segment_index LIMIT 1`

const ROW_COLUMNS = [
  'id', 'slot', 'document_id', 'segment_index', 'content_hash', 'document_content_hash', 'text', 'heading_path', 'metadata', 'embedding', 'source',
] as const

function encodeRows(records: readonly EmbeddingRecord[], slot: string, storage: VectorStorage): Uint8Array {
  const body = new BinaryCopyWriter()
  for (const record of records) {
    body.row(ROW_COLUMNS.length).uuid(record.id).text(slot).text(record.documentId).int4(record.segmentIndex).text(record.contentHash)
      .text(record.documentContentHash).text(record.text).jsonb(record.headingPath).jsonb(record.metadata)
    if (storage === 'vector') body.vector(record.vector)
    else body.float4Array(record.vector)
    body.text(record.source)
  }
  return body.finish()
}
