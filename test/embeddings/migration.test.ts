import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {indexPendingTerms} from '../../src/embeddings/keyword-terms.js'
import {readVectorStorage} from '../../src/embeddings/vector-storage.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)

async function insertSegment(db: Database, vector: string): Promise<void> {
  await db.query("INSERT INTO embedding_slots (slot, model, dimensions) VALUES ('s', 'm', 3)")
  await db.query(`INSERT INTO embeddings (id, slot, document_id, segment_index, content_hash, text, embedding)
    VALUES ('00000000-0000-8000-8000-000000000001', 's', 'doc', 0, 'h', 'Vectors and Full-Text search', $1)`, [vector])
  await db.query("INSERT INTO embedding_terms_pending (id) VALUES ('00000000-0000-8000-8000-000000000001')")
  expect(await indexPendingTerms(db)).toBe(1)
}

describe('0002_embeddings on PGlite', () => {
  let db: Database
  beforeAll(async () => {
    db = await openDatabase('memory://', {pgliteWorker: false})
    await migrate(db)
  })
  afterAll(async () => { await db?.close() })

  it('stores vectors in a pgvector column and indexes the text for full-text search', async () => {
    expect(await readVectorStorage(db)).toBe('vector')
    await insertSegment(db, '[1,0,0]')
    const {rows} = await db.query<{distance: number; tsv: string}>(
      "SELECT embedding <=> '[0,1,0]'::vector AS distance, t.tsv::text AS tsv FROM embeddings e JOIN embedding_terms t USING (id)")
    expect(rows[0].distance).toBeCloseTo(1)
    expect(rows[0].tsv).toContain("'full-text'")
  })

  it('keeps a 768-dimension row of a long segment in the table, not in its TOAST table (0014)', async () => {
    const vector = `[${Array.from({length: 768}, (_, i) => Math.sin(i).toFixed(6)).join(',')}]`
    const text = 'A segment of a manual page, long enough to be compressed and moved out of line otherwise. '.repeat(20)
    await db.query("INSERT INTO embedding_slots (slot, model, dimensions) VALUES ('s768', 'm', 768)")
    await db.query(`INSERT INTO embeddings (id, slot, document_id, segment_index, content_hash, text, embedding)
      VALUES ('00000000-0000-8000-8000-000000000768', 's768', 'doc', 0, 'h', $1, $2)`, [text, vector])
    const toast = await db.query<{bytes: number}>(
      "SELECT pg_relation_size(reltoastrelid)::int AS bytes FROM pg_class WHERE oid = 'embeddings'::regclass")
    expect(toast.rows[0].bytes).toBe(0)
    const {rows} = await db.query<{text_bytes: number; vector_bytes: number}>(
      "SELECT pg_column_size(text) AS text_bytes, pg_column_size(embedding) AS vector_bytes FROM embeddings WHERE slot = 's768'")
    // Stored as written: neither compressed nor replaced by a TOAST pointer (18 bytes).
    expect(rows[0]).toEqual({text_bytes: text.length + 4, vector_bytes: 8 + 4 * 768})
  })
})

describe.skipIf(!available)('0002_embeddings on PostgreSQL 15 without pgvector', () => {
  let scratch: ScratchDatabase
  let db: Database
  beforeAll(async () => {
    scratch = await createScratchDatabase()
    db = await openDatabase(scratch.url)
  })
  afterAll(async () => {
    await db?.close()
    await scratch?.drop()
  })

  it('applies in one transaction, falling back to a real[] column, and is recorded as applied', async () => {
    const result = await migrate(db)
    expect(result.applied).toContain(2)
    expect(await readVectorStorage(db)).toBe('real[]')
    const {rows} = await db.query<{n: number}>("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'vector'")
    expect(rows[0].n).toBe(0)
    expect((await migrate(db)).applied).toEqual([])
  })

  it('takes real[] vectors and computes the tsvector of pending segments', async () => {
    await insertSegment(db, '{1,0,0}')
    const {rows} = await db.query<{embedding: number[]; matches: boolean}>(
      "SELECT embedding, t.tsv @@ websearch_to_tsquery('simple', 'vectors search') AS matches FROM embeddings e JOIN embedding_terms t USING (id)")
    expect(rows[0].embedding).toEqual([1, 0, 0])
    expect(rows[0].matches).toBe(true)
  })
})
