import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {sqlState} from '../../src/db/database-errors.js'
import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {embeddingId} from '../../src/embeddings/embedding-id.js'
import {EmbeddingStore, type EmbeddingRecord} from '../../src/embeddings/embedding-store.js'
import {indexPendingTerms} from '../../src/embeddings/keyword-terms.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)
const SLOT = 'store-test'

function record(documentId: string, segmentIndex: number, text: string): EmbeddingRecord {
  return {
    id: embeddingId(SLOT, documentId, segmentIndex), documentId, segmentIndex, source: documentId, contentHash: text,
    documentContentHash: 'v', text, headingPath: [], metadata: {}, vector: Float32Array.from([segmentIndex + 1, 1, 0]),
  }
}

/** The contract of `EmbeddingStore` writes, on one kind of database. */
function storeWrites(open: () => Promise<{db: Database; close(): Promise<void>}>) {
  let db: Database
  let close: () => Promise<void>
  let store: EmbeddingStore
  beforeAll(async () => {
    ({db, close} = await open())
    await migrate(db)
  })
  afterAll(async () => { await close?.() })
  beforeEach(async () => {
    await db.query('DELETE FROM embedding_slots')
    await db.query('DELETE FROM embedding_terms_pending')
    store = await EmbeddingStore.open(db, SLOT, 'm', 3)
  })

  const texts = async () => (await db.query<{text: string}>(
    'SELECT text FROM embeddings WHERE slot = $1 ORDER BY document_id, segment_index', [SLOT])).rows.map((row) => row.text)
  const termsOf = async (word: string) => (await db.query<{n: number}>(
    "SELECT count(*)::int AS n FROM embedding_terms WHERE tsv @@ to_tsquery('simple', $1)", [word])).rows[0]!.n

  it('upsert inserts new keys and replaces held ones, never duplicating a key', async () => {
    await store.upsert([record('d', 0, 'alpha one'), record('d', 1, 'alpha two')])
    await indexPendingTerms(db)
    // One key held, one new: the batch replaces the first and inserts the second.
    await store.upsert([record('d', 1, 'beta two'), record('d', 2, 'beta three')])
    expect(await texts()).toEqual(['alpha one', 'beta two', 'beta three'])
    expect(await indexPendingTerms(db)).toBe(2)
    // The replaced row's old terms went with it.
    expect(await termsOf('two')).toBe(1)
    expect(await termsOf('alpha')).toBe(1)
  })

  it('insertNew records the written ids for keyword indexing and writes nothing when a key is held', async () => {
    await store.insertNew([record('d', 0, 'gamma one')])
    const error = await store.insertNew([record('d', 1, 'gamma two'), record('d', 0, 'gamma again')]).catch((caught: unknown) => caught)
    expect(sqlState(error)).toBe('23505')
    expect(await texts()).toEqual(['gamma one'])
    expect(await indexPendingTerms(db)).toBe(1)
    expect(await termsOf('gamma')).toBe(1)
  })

  it('replace writes keys whether or not they are held', async () => {
    await store.replace([record('d', 0, 'delta one')])
    await store.replace([record('d', 0, 'delta again'), record('d', 1, 'delta two')])
    expect(await texts()).toEqual(['delta again', 'delta two'])
  })

  it('deleting a slot deletes its rows and their terms', async () => {
    await store.upsert([record('d', 0, 'epsilon one')])
    await indexPendingTerms(db)
    await db.query('DELETE FROM embedding_slots WHERE slot = $1', [SLOT])
    expect(await texts()).toEqual([])
    expect(await termsOf('epsilon')).toBe(0)
  })
}

describe('EmbeddingStore writes on PGlite', () => {
  storeWrites(async () => {
    const db = await openDatabase('memory://', {pgliteWorker: false})
    return {db, close: () => db.close()}
  })
})

describe.skipIf(!available)('EmbeddingStore writes on PostgreSQL', () => {
  storeWrites(async () => {
    const scratch: ScratchDatabase = await createScratchDatabase()
    const db = await openDatabase(scratch.url)
    return {db, close: async () => { await db.close(); await scratch.drop() }}
  })
})
