import type {Database} from '../db/types.js'

/**
 * Computes the keyword-search terms (`embedding_terms`, migrations/0008_embedding_terms.sql) of the
 * segments written since the last call, and empties `embedding_terms_pending`. Keyword search calls
 * it first, so a search right after a run finds every written segment; the vector write path
 * only records the ids (see docs/decisions.md, "Keyword terms indexed after the write").
 * Returns the number of segments indexed (0, after one cheap query, when nothing is pending).
 *
 * The table lock (SHARE ROW EXCLUSIVE: readers go on, writers of `embeddings` and other callers
 * wait) makes the terms match the committed text on PostgreSQL with concurrent writers: a writer
 * that replaced a row after this snapshot records its id again once the lock is released.
 */
export async function indexPendingTerms(db: Database): Promise<number> {
  const {rows} = await db.query<{pending: boolean}>('SELECT EXISTS (SELECT 1 FROM embedding_terms_pending) AS pending')
  if (rows[0]?.pending !== true) return 0
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE embeddings IN SHARE ROW EXCLUSIVE MODE')
    // The pending ids of rows deleted since are dropped here too: the join finds no row for them.
    const {rowCount} = await tx.query(
      `WITH pending AS (DELETE FROM embedding_terms_pending RETURNING id)
       INSERT INTO embedding_terms (id, tsv)
       SELECT e.id, to_tsvector(e.language, e.text) FROM embeddings e WHERE e.id IN (SELECT id FROM pending)
       ON CONFLICT (id) DO UPDATE SET tsv = excluded.tsv`)
    return rowCount
  })
}
