// How vector search should work on the embedded database, by size (issue "RAG ingestion"): for
// BENCH_VECTORS (default "5000,20000") rows of 768-dim factflow-hash-v2 vectors of varied text in
// PGlite on disk (its worker), with 30 queries each:
//   search.exact_ms.<n>         p50 of an exact top-5 cosine scan (pgvector, no index) through the
//                               search service; baseline: the same top-5 by a scan over a Float32Array
//                               held in this process (what an in-process cache would cost per query).
//   search.hnsw_build_s.<n>     CREATE INDEX … USING hnsw on the slot (m 16, ef_construction 64).
//   search.hnsw_ms.<n>          p50 of the same queries once the index exists; its note gives the
//                               share of top-5 results the index returns that the exact scan returns.
// The rows are filled by binary COPY (not measured).
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {random} from './lib/random.js'

const dist = new URL('../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)
const SIZES = (process.env.BENCH_VECTORS ?? '5000,20000').split(',').map(Number)
const QUERIES = 30
const WORDS = 'table index query vector segment page python postgresql json file stream thread process socket buffer lock transaction replica backup role grant schema column type function trigger cursor parser token markdown heading crawl embed search rank fusion cache memory disk worker queue message route adapter lineage storage'.split(' ')

const text = (next, n) => Array.from({length: n}, () => WORDS[Math.floor(next() * WORDS.length)] + (next() < 0.3 ? Math.floor(next() * 500) : '')).join(' ')
const p50 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

export async function run() {
  const [{openDatabase}, {migrate}, {EmbeddingStore}, {createLocalEmbedder}, {createSearchService}, {embeddingId}, {createVectorIndex}] = await Promise.all([
    load('db/open-database.js'), load('db/migrate.js'), load('embeddings/embedding-store.js'), load('embeddings/local-embedder.js'),
    load('search/search-service.js'), load('embeddings/embedding-id.js'), load('search/vector-index.js'),
  ])
  const embedder = createLocalEmbedder()
  const figures = []
  for (const size of SIZES) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-vectors-'))
    const db = await openDatabase(path.join(dir, 'db'))
    try {
      await migrate(db)
      const store = await EmbeddingStore.open(db, embedder.model, embedder.model, embedder.dimensions)
      const next = random(size)
      const held = new Float32Array(size * embedder.dimensions)
      for (let i = 0; i < size; i += 500) {
        const texts = Array.from({length: Math.min(500, size - i)}, () => text(next, 60))
        const vectors = await embedder.embed(texts)
        vectors.forEach((vector, j) => held.set(vector, (i + j) * embedder.dimensions))
        await store.upsert(texts.map((t, j) => ({
          id: embeddingId(store.slot, `doc-${i + j}`, 0), documentId: `doc-${i + j}`, segmentIndex: 0, source: undefined,
          contentHash: String(i + j), documentContentHash: undefined, text: t, headingPath: [], metadata: {}, vector: vectors[j],
        })))
      }
      const search = createSearchService({database: db, embedderFor: () => embedder})
      const queries = Array.from({length: QUERIES}, () => text(next, 6))
      const timed = async () => {
        const times = []
        const results = []
        for (const query of queries) {
          const started = performance.now()
          results.push((await search.vector(query, {slot: store.slot, limit: 5})).hits.map((hit) => hit.document_id))
          times.push(performance.now() - started)
        }
        return {ms: p50(times), results}
      }
      const exact = await timed()
      const inProcess = []
      for (const query of queries) {
        const started = performance.now()
        const [q] = await embedder.embed([query])
        const scores = new Float32Array(size)
        for (let r = 0; r < size; r++) {
          let dot = 0
          const base = r * embedder.dimensions
          for (let k = 0; k < embedder.dimensions; k++) dot += held[base + k] * q[k]
          scores[r] = dot
        }
        const top = []
        for (let r = 0; r < size; r++) if (top.length < 5 || scores[r] > scores[top[top.length - 1]]) top.splice(top.findIndex((t) => scores[r] > scores[t]) >>> 0, 0, r), top.length = Math.min(top.length, 5)
        inProcess.push(performance.now() - started)
      }
      figures.push({
        name: `search.exact_ms.${size}`, value: round(exact.ms), unit: 'ms', baseline: 'the same top-5 by a scan of a Float32Array in this process',
        baseline_value: round(p50(inProcess)), ratio: round(exact.ms / p50(inProcess), 2), note: `p50 of ${QUERIES} queries, ${size} × ${embedder.dimensions}-dim vectors, PGlite on disk`,
      })
      const built = performance.now()
      await createVectorIndex(db, store.slot)
      figures.push({name: `search.hnsw_build_s.${size}`, value: round((performance.now() - built) / 1000), unit: 's', note: 'hnsw (m 16, ef_construction 64), vector_cosine_ops, one slot'})
      const indexed = await timed()
      const overlap = indexed.results.reduce((sum, hits, i) => sum + hits.filter((id) => exact.results[i].includes(id)).length, 0) / (5 * QUERIES)
      figures.push({
        name: `search.hnsw_ms.${size}`, value: round(indexed.ms), unit: 'ms', baseline: 'exact scan', baseline_value: round(exact.ms),
        ratio: round(indexed.ms / exact.ms, 3), note: `p50 of ${QUERIES} queries; ${round(overlap * 100)}% of the exact top 5 returned`,
      })
    } finally {
      await db.close()
      await rm(dir, {recursive: true, force: true})
    }
  }
  return figures
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
