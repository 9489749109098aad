import type {DatabaseTransaction} from '../db/types.js'

/**
 * How `embeddings.embedding` is stored (migrations/0002_embeddings.sql): pgvector's `vector` where
 * the extension exists, else `real[]` (PostgreSQL without pgvector).
 */
export type VectorStorage = 'vector' | 'real[]'

/** Reads the column's type from the catalog. */
export async function readVectorStorage(db: Pick<DatabaseTransaction, 'query'>): Promise<VectorStorage> {
  const {rows} = await db.query<{type: string}>(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = 'embeddings'::regclass AND attname = 'embedding' AND NOT attisdropped`)
  return rows[0]?.type.startsWith('vector') ? 'vector' : 'real[]'
}

/**
 * A vector as SQL input text: `[a,b,…]` for pgvector, `{a,b,…}` for real[]. Nine significant
 * digits round-trip every float32 exactly. For one vector per statement (a search query); bulk
 * writes send binary COPY instead (`EmbeddingStore.upsert`): pgvector parses a 384-float literal in
 * ~1.1 ms on PGlite, which made text literals most of the cost of a write.
 */
export function vectorLiteral(vector: Float32Array, storage: VectorStorage): string {
  const parts = new Array<string>(vector.length)
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]
    parts[i] = value === 0 ? '0' : value.toPrecision(9)
  }
  return storage === 'vector' ? `[${parts.join(',')}]` : `{${parts.join(',')}}`
}

/** The SQL cast of a vector literal for `storage`. */
export function vectorCast(storage: VectorStorage): string {
  return storage === 'vector' ? 'vector' : 'real[]'
}
