// Vector writes into PGlite (issue 16, "Vector writes off the critical path"), split out of
// bench/ingest.js so it runs in seconds: segments of Debian's PostgreSQL 15 and Python 3.11 HTML
// manuals read from disk (the pages bench/ingest.js serves, in its order), converted and segmented
// as the sitemap-to-embeddings pipeline does (400 tokens), embedded by the local embedder (768-dim
// factflow-hash-v2). Needs `npm run build` and the packages python3.11-doc and postgresql-doc-15.
//
//   embeddings.pglite.rows_per_s  EmbeddingStore.upsert of BENCH_VECTOR_ROWS (default 3,000)
//                          segments in batches of 64 (the writer's batch) into PGlite on disk (its
//                          worker), a new database each: keys not held, so one COPY per batch
//                          (migration 0013; a held key would add the replace). Baseline, same rows, same run: the write
//                          path before keyword terms left it (a binary COPY into a session staging
//                          table, then INSERT … ON CONFLICT into `embeddings` with its generated
//                          tsvector column and GIN index, as migrations 0002–0006 made it). The note
//                          gives the deferred part too: `indexPendingTerms` over the same rows (what
//                          the first keyword search after the writes pays), and write + terms.
//                          Medians of BENCH_VECTOR_RUNS (default 3) alternating runs.
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {MANUALS, listManualPages, missingManuals, selectPages} from './lib/corpus-site.js'

const dist = new URL('../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)
const ROWS = Number(process.env.BENCH_VECTOR_ROWS ?? 3000)
const RUNS = Number(process.env.BENCH_VECTOR_RUNS ?? 3)
const BATCH = 64

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits

/** Segments of the manuals' pages as the pipeline makes them, up to `limit`. */
async function manualSegments(limit) {
  const [{extractContent}, {createMarkdownConverter}, {segmentMarkdown}, {loadTokenCounter}] = await Promise.all([
    load('adapters/markdown/html/extract-content.js'), load('adapters/markdown/html/markdown-converter.js'),
    load('adapters/markdown/segmenting/segment-markdown.js'), load('adapters/markdown/segmenting/token-counter.js'),
  ])
  const all = []
  for (const name of Object.keys(MANUALS)) for (const page of await listManualPages(name)) all.push({id: `${name}/${page}`, name, page})
  const convert = createMarkdownConverter({preserveLinks: true, preserveImages: false})
  const counter = await loadTokenCounter('cl100k_base')
  const segments = []
  for (const page of selectPages(all)) {
    const url = `http://127.0.0.1/${page.id}`
    const extracted = extractContent(await readFile(path.join(MANUALS[page.name].dir, page.page), 'utf8'), {mainContent: true, baseUrl: url})
    const parts = segmentMarkdown(convert(extracted.html), {maxTokens: 400, minTokens: 64, overlapTokens: 32}, counter)
    for (const part of parts) segments.push({url, title: extracted.title ?? '', part})
    if (segments.length >= limit) break
  }
  return segments.slice(0, limit)
}

/** EmbeddingRecords of the segments, with their local-embedder vectors. */
async function recordsOf(segments) {
  const [{createLocalEmbedder}, {embeddingId}, {createHash}] = await Promise.all([
    load('embeddings/local-embedder.js'), load('embeddings/embedding-id.js'), import('node:crypto'),
  ])
  const embedder = createLocalEmbedder()
  const vectors = await embedder.embed(segments.map(({title, part}) => `${title}\n${part.heading_path.join(' / ')}\n${part.text}`))
  const records = segments.map(({url, title, part}, i) => ({
    id: embeddingId(embedder.model, url, part.index), documentId: url, segmentIndex: part.index, source: url,
    contentHash: createHash('sha256').update(part.text).digest('hex'), documentContentHash: 'v1', text: part.text,
    headingPath: part.heading_path, metadata: {url, title}, vector: vectors[i],
  }))
  return {records, embedder}
}

// The previous schema, put back for the baseline: migration 0013 undone (no pending-terms trigger,
// the slot's foreign key, vectors compressible), then the text-search column and index.
const PREVIOUS_SCHEMA = [
  'DROP TRIGGER embeddings_pending_terms ON embeddings',
  'ALTER TABLE embeddings ADD FOREIGN KEY (slot) REFERENCES embedding_slots (slot) ON DELETE CASCADE',
  'ALTER TABLE embeddings ALTER COLUMN embedding SET STORAGE EXTENDED',
  'ALTER TABLE embeddings ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector(language, text)) STORED',
  'CREATE INDEX embeddings_tsv_idx ON embeddings USING gin (tsv)',
]
const INCOMING = ['id', 'document_id', 'segment_index', 'content_hash', 'document_content_hash', 'text', 'heading_path', 'metadata', 'embedding', 'source']

/** The upsert before this change (commit 49bff81): staging table, then INSERT … ON CONFLICT. */
function previousUpsert(BinaryCopyWriter) {
  return (db, slot, records) => {
    const body = new BinaryCopyWriter()
    for (const r of records) {
      body.row(INCOMING.length).uuid(r.id).text(r.documentId).int4(r.segmentIndex).text(r.contentHash).text(r.documentContentHash)
        .text(r.text).jsonb(r.headingPath).jsonb(r.metadata).vector(r.vector).text(r.source)
    }
    return db.transaction(async (tx) => {
      await tx.query(`CREATE TEMP TABLE IF NOT EXISTS embeddings_incoming (
          id uuid, document_id text, segment_index integer, content_hash text, document_content_hash text, text text,
          heading_path jsonb, metadata jsonb, embedding vector, source text) ON COMMIT DELETE ROWS`)
      await tx.copyFrom({table: 'embeddings_incoming', columns: INCOMING}, body.finish())
      await tx.query(
        `INSERT INTO embeddings (id, slot, ${INCOMING.slice(1).join(', ')})
         SELECT id, $1, ${INCOMING.slice(1).join(', ')} FROM embeddings_incoming
         ON CONFLICT (slot, document_id, segment_index) DO UPDATE SET
           content_hash = excluded.content_hash, source = excluded.source, document_content_hash = excluded.document_content_hash,
           text = excluded.text, heading_path = excluded.heading_path, metadata = excluded.metadata,
           embedding = excluded.embedding, updated_at = now()`, [slot])
    })
  }
}

/**
 * Rows per second of the current upsert and of the previous one over `records` (batches of 64,
 * each into a new PGlite database on disk), and of the keyword terms deferred by the current one.
 */
export async function writeRates(records, embedder, runs = RUNS) {
  const [{openDatabase}, {migrate}, {EmbeddingStore}, {indexPendingTerms}, {BinaryCopyWriter}] = await Promise.all([
    load('db/open-database.js'), load('db/migrate.js'), load('embeddings/embedding-store.js'), load('embeddings/keyword-terms.js'),
    load('db/binary-copy.js'),
  ])
  const previous = previousUpsert(BinaryCopyWriter)
  const once = async (mode) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-vector-writes-'))
    const db = await openDatabase(path.join(dir, 'db'))
    try {
      await migrate(db)
      if (mode === 'previous') for (const sql of PREVIOUS_SCHEMA) await db.query(sql)
      const store = await EmbeddingStore.open(db, embedder.model, embedder.model, embedder.dimensions)
      const started = performance.now()
      for (let i = 0; i < records.length; i += BATCH) {
        const batch = records.slice(i, i + BATCH)
        await (mode === 'previous' ? previous(db, store.slot, batch) : store.upsert(batch))
      }
      const written = performance.now()
      const indexed = mode === 'previous' ? 0 : await indexPendingTerms(db)
      if (mode !== 'previous' && indexed !== records.length) throw new Error(`indexed ${indexed} of ${records.length} rows`)
      const seconds = (to, from) => (to - from) / 1000
      return {write: records.length / seconds(written, started), terms: records.length / seconds(performance.now(), written),
        total: records.length / seconds(performance.now(), started)}
    } finally {
      await db.close()
      await rm(dir, {recursive: true, force: true})
    }
  }
  const current = []
  const before = []
  for (let r = 0; r < runs; r++) {
    before.push(await once('previous'))
    current.push(await once('current'))
  }
  const med = (results, key) => median(results.map((result) => result[key]))
  return {
    current: med(current, 'write'), previous: med(before, 'write'), terms: med(current, 'terms'), total: med(current, 'total'),
    rows: records.length, runs: current.map((result) => Math.round(result.write)), previousRuns: before.map((result) => Math.round(result.write)),
  }
}

/** The figure, from `writeRates`. */
export function writeFigure(rates, embedder) {
  return {
    name: 'embeddings.pglite.rows_per_s', value: Math.round(rates.current), unit: 'rows/s',
    baseline: 'the previous upsert: binary COPY into a staging table, then INSERT … ON CONFLICT into embeddings with its generated tsvector and GIN index',
    baseline_value: Math.round(rates.previous), ratio: round(rates.current / rates.previous),
    note: `${rates.rows} crawled segments (${embedder.dimensions}-dim ${embedder.model}), batches of ${BATCH}, PGlite on disk in its worker, ` +
      `medians of ${rates.runs.length} runs (${rates.runs.join(', ')}; baseline ${rates.previousRuns.join(', ')}); ` +
      `deferred keyword terms (indexPendingTerms, paid by the first keyword search) ${Math.round(rates.terms)} rows/s; ` +
      `write + terms ${Math.round(rates.total)} rows/s`,
  }
}

export async function run() {
  const missing = await missingManuals()
  if (missing.length > 0) return [{name: 'vector-writes.skipped', value: null, unit: '', note: `missing manuals: ${missing.join(', ')} (apt-get install python3.11-doc postgresql-doc-15)`}]
  const {records, embedder} = await recordsOf(await manualSegments(ROWS))
  return [writeFigure(await writeRates(records, embedder), embedder)]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
