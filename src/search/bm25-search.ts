import type {Database} from '../db/types.js'
import {indexPendingTerms} from '../embeddings/keyword-terms.js'
import type {SearchHit} from './search-types.js'
import {contentStems, wordsOf, wordStem} from './word-stems.js'

export interface Bm25SearchOptions {
  /** Default 10. */
  limit: number
  slot?: string
  /** Only documents whose id or source starts with this. */
  source?: string
  /** Segments scored exactly, picked by the rare query words they hold (default 100). */
  candidates?: number
}

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2
const B = 0.75
/** A stem this long or longer matches every stored word it starts (`execut` → execute, execution). */
const MIN_PREFIX = 4
const COLUMNS = 'e.id, e.slot, e.document_id, e.segment_index, e.text, e.heading_path, e.metadata'

/**
 * Segments ranked by BM25 over English word stems (Okapi BM25, k1 1.2, b 0.75): a question's words
 * match other forms of themselves ("plans to execute" finds "execution plan"), and a rare word
 * counts for more than a common one, which `ts_rank` (no document frequencies) cannot do.
 *
 * Works on the stored keyword terms (`embedding_terms`: lower-cased words, GIN-indexed) in two
 * steps: the database counts, per query stem, the segments holding a word it starts (the document
 * frequency) and picks `candidates` segments by the summed IDF of the stems they hold; those are
 * scored exactly here, their words stemmed with the query's stemmer (Porter2, as PostgreSQL's
 * `english`), so a segment is never missed for a word form but only ranked on what it says.
 */
export async function bm25Search(database: Database, query: string, options: Bm25SearchOptions): Promise<SearchHit[]> {
  const stems = contentStems(query)
  if (stems.length === 0) return []
  await indexPendingTerms(database)
  const patterns = stems.map((s) => `${quoteLexeme(s)}${s.length >= MIN_PREFIX ? ':*' : ''}`)
  const {rows} = await database.query<Omit<SearchHit, 'score'> & {df: number[]; total: number}>(
    `WITH terms AS MATERIALIZED (
       SELECT i AS term, p::tsquery AS q, (SELECT count(*) FROM embedding_terms t WHERE t.tsv @@ p::tsquery)::float8 AS df
         FROM unnest($1::text[]) WITH ORDINALITY AS u(p, i)),
     total AS MATERIALIZED (SELECT greatest(count(*), 1)::float8 AS n FROM embedding_terms),
     picked AS MATERIALIZED (
       SELECT t.id, sum(ln(1 + (total.n - terms.df + 0.5) / (terms.df + 0.5))) AS weight
         FROM terms CROSS JOIN total JOIN embedding_terms t ON t.tsv @@ terms.q
        WHERE terms.df > 0
        GROUP BY t.id ORDER BY weight DESC, t.id LIMIT $2)
     SELECT ${COLUMNS}, (SELECT array_agg(df ORDER BY term) FROM terms) AS df, (SELECT n FROM total)::float8 AS total
       FROM picked JOIN embeddings e ON e.id = picked.id
      WHERE ($3::text IS NULL OR e.slot = $3::text)
        AND ($4::text IS NULL OR starts_with(e.document_id, $4::text) OR starts_with(e.source, $4::text))`,
    [patterns, options.candidates ?? 100, options.slot ?? null, options.source ?? null])
  if (rows.length === 0) return []

  const total = rows[0]!.total
  const idf = rows[0]!.df.map((df) => Math.log(1 + (total - df + 0.5) / (df + 0.5)))
  const scored = rows.map((row) => ({row, ...termCounts(row.text, stems)}))
  const averageLength = scored.reduce((sum, item) => sum + item.length, 0) / scored.length || 1
  return scored
    .map(({row, counts, length}) => {
      let score = 0
      counts.forEach((tf, i) => {
        if (tf > 0) score += idf[i]! * (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * length / averageLength))
      })
      const {df: _df, total: _total, ...hit} = row
      return {...hit, score}
    })
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, options.limit)
}

/** How often each query stem occurs among a text's word stems (from MIN_PREFIX letters, as a prefix), and its word count. */
function termCounts(text: string, stems: readonly string[]): {counts: number[]; length: number} {
  const counts = stems.map(() => 0)
  let length = 0
  for (const word of wordsOf(text)) {
    length++
    const stem = wordStem(word)
    stems.forEach((s, i) => {
      if (stem === s || (s.length >= MIN_PREFIX && stem.startsWith(s))) counts[i]! += 1
    })
  }
  return {counts, length}
}

/** A lexeme as a tsquery operand: quoted, its quotes and backslashes escaped. */
function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`
}
