// Ingestion benchmarks over a realistic corpus (issue "RAG ingestion"): Debian's Python 3.11 and
// PostgreSQL 15 HTML manuals served on 127.0.0.1 by bench/lib/corpus-site.js (this process), every
// labelled page of test/fixtures/retrieval/questions.json included, BENCH_INGEST_PAGES pages in all
// (default 1000). Needs `npm run build` and the packages python3.11-doc and postgresql-doc-15.
//
//   ingest.pages_per_s     crawl → markdown → segments → embeddings (local embedder, PGlite on disk)
//                          through the engine: the shipped sitemap-to-embeddings pipeline run by
//                          startRun, as `factflow run` does. Baseline: the same libraries in a plain
//                          loop (bench/lib/ingest-child.js loop), same pages, same run. Each run is a
//                          child process writing a new database directory, as a user's first run
//                          does (an init child warms the template cache first: the first run on a
//                          machine pays initdb once, in the creator process); engine and loop runs
//                          alternate; medians of BENCH_INGEST_RUNS (default 1).
//   ingest.peak_rss_mb     the engine child's peak RSS (getrusage maxrss) over its run; baseline: the
//                          loop child's.
//   (embeddings.pglite.rows_per_s moved to bench/vector-writes.js, which runs in seconds.)
//   retrieval.recall_at_5.{vector,keyword,hybrid}  over the engine run's database: share of the
//                          labelled questions with an answering page among the top 5 hits.
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {missingManuals, startCorpusSite} from './lib/corpus-site.js'

const execFileAsync = promisify(execFile)
const dist = new URL('../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)
const CHILD = fileURLToPath(new URL('./lib/ingest-child.js', import.meta.url))
const QUESTIONS = fileURLToPath(new URL('../test/fixtures/retrieval/questions.json', import.meta.url))
const PAGES = Number(process.env.BENCH_INGEST_PAGES ?? 1000)
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 1)

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits

async function child(mode, sitemapUrl, dbDir, workDir) {
  const {stdout} = await execFileAsync(process.execPath, [CHILD, mode, sitemapUrl, String(PAGES), dbDir, workDir], {maxBuffer: 1 << 20, timeout: 3_600_000})
  return JSON.parse(stdout.trim().split('\n').pop())
}

async function recall(dbDir, questions) {
  const [{openDatabase}, {createSearchService}, {createEmbedder}, {recallAtK}] = await Promise.all([
    load('db/open-database.js'), load('search/search-service.js'), load('embeddings/embedder.js'), load('search/recall-at-k.js'),
  ])
  const db = await openDatabase(dbDir)
  try {
    const search = createSearchService({database: db, embedderFor: (info) => createEmbedder('local', {model: info.model, dimensions: info.dimensions})})
    const [{slot, segments}] = await search.slots()
    const pageOf = (hit) => new URL(hit.document_id).pathname.slice(1)
    const modes = {
      vector: async (q, k) => (await search.vector(q, {slot, limit: k})).hits,
      keyword: async (q, k) => (await search.keyword(q, {limit: k})).hits,
      hybrid: async (q, k) => (await search.hybrid(q, {slot, limit: k})).hits,
    }
    const out = {}
    for (const [mode, fn] of Object.entries(modes)) {
      const started = performance.now()
      out[mode] = {...await recallAtK(questions, fn, pageOf), ms: (performance.now() - started) / questions.length}
    }
    return {out, segments}
  } finally {
    await db.close()
  }
}

export async function run() {
  const missing = await missingManuals()
  if (missing.length > 0) return [{name: 'ingest.skipped', value: null, unit: '', note: `missing manuals: ${missing.join(', ')} (apt-get install python3.11-doc postgresql-doc-15)`}]
  const questions = JSON.parse(await readFile(QUESTIONS, 'utf8')).questions
  const site = await startCorpusSite({limit: PAGES, include: [...new Set(questions.flatMap((q) => q.pages))]})
  const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-ingest-'))
  try {
    const init = await child('init', site.sitemapUrl, path.join(work, 'init-db'), work)
    const engine = []
    const loop = []
    let engineDb
    for (let r = 0; r < RUNS; r++) {
      for (const [mode, results] of [['engine', engine], ['loop', loop]]) {
        const dir = path.join(work, `${mode}-${r}`)
        results.push(await child(mode, site.sitemapUrl, path.join(dir, 'db'), dir))
        if (mode === 'engine') engineDb = path.join(dir, 'db')
      }
    }
    const pagesPerSecond = (results) => median(results.map((result) => result.pages / result.seconds))
    const value = pagesPerSecond(engine)
    const baseline = pagesPerSecond(loop)
    const rss = median(engine.map((result) => result.max_rss_mb))
    const loopRss = median(loop.map((result) => result.max_rss_mb))
    const {out, segments} = await recall(engineDb, questions)
    const runs = (results) => results.map((result) => `${round(result.pages / result.seconds)} pages/s (${round(result.seconds, 1)} s, ${result.max_rss_mb} MB)`).join(', ')
    return [
      {
        name: 'ingest.pages_per_s', value: round(value), unit: 'pages/s',
        baseline: 'the same libraries in a plain loop (fetch, html → markdown, segmenter, local embedder, EmbeddingStore.upsert), 4 pages in flight',
        baseline_value: round(baseline), ratio: round(value / baseline),
        note: `${engine[0].pages} pages, ${engine[0].segments} segments, PGlite on disk; engine runs ${runs(engine)}; loop runs ${runs(loop)}`,
      },
      {
        name: 'ingest.peak_rss_mb', value: rss, unit: 'MB', baseline: 'the plain loop child', baseline_value: loopRss, ratio: round(rss / loopRss),
        note: `peak RSS of the ${engine[0].pages}-page run in a child process, into a new database directory; opening and migrating a new one alone peaks at ${init.max_rss_mb} MB (its creation runs in a short-lived process of its own)`,
      },
      ...Object.entries(out).map(([mode, result]) => ({
        name: `retrieval.recall_at_5.${mode}`, value: round(result.recall, 3), unit: '',
        note: `${result.found}/${result.total} questions over ${engine[0].pages} pages (${segments} segments); ${round(result.ms, 1)} ms per query`,
      })),
    ]
  } finally {
    await site.close()
    await rm(work, {recursive: true, force: true})
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
