import {createHash} from 'node:crypto'

import type {Database} from '../db/types.js'
import {NotFoundError, UserInputError} from '../errors/index.js'
import {readVectorStorage} from '../embeddings/vector-storage.js'

/** An approximate-nearest-neighbour index of one slot's vectors. */
export interface VectorIndexInfo {
  slot: string
  /** Index name in the database. */
  name: string
  dimensions: number
}

/** The index name of a slot: slot names are free text, index names are identifiers. */
export function vectorIndexName(slot: string): string {
  return `embeddings_hnsw_${createHash('sha1').update(slot).digest('hex').slice(0, 12)}`
}

/** The slot's HNSW index, when one was built. */
export async function findVectorIndex(db: Pick<Database, 'query'>, slot: string): Promise<VectorIndexInfo | undefined> {
  const name = vectorIndexName(slot)
  const {rows} = await db.query<{dimensions: number}>(
    `SELECT s.dimensions FROM embedding_slots s WHERE s.slot = $1 AND EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $2)`, [slot, name])
  return rows[0] === undefined ? undefined : {slot, name, dimensions: rows[0].dimensions}
}

/**
 * Builds an HNSW index (cosine, m 16, ef_construction 64) over one slot's vectors: a partial
 * expression index `(embedding::vector(<dimensions>)) WHERE slot = '<slot>'`, since the column holds
 * vectors of every slot and their dimensions differ. Search uses it as soon as it exists. It is
 * built explicitly (`factflow search index`), never during ingestion: maintaining HNSW on every
 * insert slows embedded writes several-fold, and an exact scan answers small slots fast enough
 * (docs/decisions.md, "Vector search by size"). Rows written later are indexed as they arrive.
 * Resolves once the index exists; a second call finds it and returns at once.
 * @throws NotFoundError `SEARCH_SLOT_UNKNOWN`; UserInputError `VECTOR_INDEX_UNAVAILABLE` without pgvector.
 */
export async function createVectorIndex(db: Database, slot: string): Promise<VectorIndexInfo> {
  if (await readVectorStorage(db) !== 'vector') {
    throw new UserInputError('VECTOR_INDEX_UNAVAILABLE', 'This database has no pgvector extension: there is nothing to index.', {
      hint: 'Vector indexes need pgvector (the embedded database has it).',
    })
  }
  const {rows} = await db.query<{dimensions: number}>('SELECT dimensions FROM embedding_slots WHERE slot = $1', [slot])
  if (rows[0] === undefined) throw new NotFoundError('SEARCH_SLOT_UNKNOWN', `No embedding slot named "${slot}"`)
  const {dimensions} = rows[0]
  const name = vectorIndexName(slot)
  await db.transaction(async (tx) => {
    // The build sorts in memory when it can; PGlite grows its heap for it and gives it back after.
    await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`)
    await tx.query(`CREATE INDEX IF NOT EXISTS ${name} ON embeddings USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops)
      WITH (m = 16, ef_construction = 64) WHERE slot = ${quoteLiteral(slot)}`)
  })
  return {slot, name, dimensions}
}

/** Drops the slot's index; resolves false when there was none. */
export async function dropVectorIndex(db: Database, slot: string): Promise<boolean> {
  if (await findVectorIndex(db, slot) === undefined) return false
  await db.query(`DROP INDEX IF EXISTS ${vectorIndexName(slot)}`)
  return true
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
