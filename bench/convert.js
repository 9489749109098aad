// HTML → markdown per page, as html_to_markdown converts it. Needs `npm run build` and the packages
// python3.11-doc and postgresql-doc-15: `node bench/convert.js`.
//
// Corpus: the pages bench/ingest.js serves (BENCH_CONVERT_PAGES, default 1000, every labelled page
// of test/fixtures/retrieval/questions.json included), read from disk once; no server, no storage.
//
//   convert.ms_per_page  extractContent (main content, furniture cut, head fields) then the
//                        markdown converter, over every page; median of 3 passes after a warm-up
//                        pass. Baseline: mdream's htmlToMarkdown over the same raw pages in a plain
//                        loop (no extraction, no clean-up) — the floor of the library this adapter
//                        is built on. The converter this replaced (parse5 + linkedom + Readability
//                        + turndown) is no longer installed; its figure is in docs/decisions.md.
//   convert.pool_cpu_ms_per_page
//                        what the CPU pool's thread spends per page in a 1,000-page `factflow run` of
//                        sitemap-to-embeddings: a fresh worker thread runs html_to_markdown's task and
//                        smart_segmenter's cut (512 / 64 / 32 tokens, cl100k_base) once on each of the
//                        pages ingest.peer_ratio serves (the PostgreSQL manual's first BENCH_CONVERT_PAGES
//                        files), imports, token-counter load and warm-up included; that thread's CPU
//                        time (Linux). Median of 3 threads. Baseline: the same in a fresh thread with
//                        the libraries alone (mdream over the raw page, then js-tiktoken's encoder, built
//                        there, over its output). BENCH_POOL_DIST points it at another build's dist/.
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import {htmlToMarkdown} from 'mdream'

import {extractContent} from '../dist/src/adapters/markdown/html/extract-content.js'
import {createMarkdownConverter} from '../dist/src/adapters/markdown/html/markdown-converter.js'

import {listManualPages, MANUALS, missingManuals, selectPages} from './lib/corpus-site.js'
import {peerPageNames} from './lib/manual-site.js'

const PAGES = Number(process.env.BENCH_CONVERT_PAGES ?? 1000)
const RUNS = 3
const QUESTIONS = fileURLToPath(new URL('../test/fixtures/retrieval/questions.json', import.meta.url))

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits

async function pages() {
  const questions = JSON.parse(await readFile(QUESTIONS, 'utf8')).questions
  const all = []
  for (const manual of Object.keys(MANUALS)) {
    for (const page of await listManualPages(manual)) all.push({id: `${manual}/${page}`, manual, path: page})
  }
  const selected = selectPages(all, {limit: PAGES, include: [...new Set(questions.flatMap((q) => q.pages))]})
  return Promise.all(selected.map(async (page) => ({
    url: `http://127.0.0.1/${page.id}`, html: await readFile(path.join(MANUALS[page.manual].dir, page.path), 'utf8'),
  })))
}

const POOL_WORKER = new URL('./lib/pool-tasks-worker.js', import.meta.url)
const POOL_DIST = process.env.BENCH_POOL_DIST ?? fileURLToPath(new URL('../dist', import.meta.url))

/** The pages a 1,000-page run fetches (bench/lib/manual-site.js), read from disk. */
async function peerPages() {
  const names = (await peerPageNames()).slice(0, PAGES)
  return Promise.all(names.map(async (name) => ({url: `http://127.0.0.1/${name}`, html: await readFile(path.join(MANUALS.postgresql.dir, name), 'utf8')})))
}

/** One fresh thread's pass over `pages` (see pool-tasks-worker.js): CPU ms of its parts. */
function poolPass(pages, floor) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(POOL_WORKER, {workerData: {
      pages, dist: POOL_DIST, floor,
      convert: {mainContent: true, preserveLinks: true, preserveImages: false},
      segment: {encoding: 'cl100k_base', maxTokens: 512, minTokens: 64, overlapTokens: 32},
    }})
    worker.once('message', (result) => worker.terminate().then(() => resolve(result)))
    worker.once('error', reject)
  })
}

function medianPass(passes) {
  return [...passes].sort((a, b) => a.totalMs - b.totalMs)[Math.floor(passes.length / 2)]
}

/** Milliseconds per page of `convert` over `docs`: median of RUNS passes after one warm-up pass. */
function msPerPage(docs, convert) {
  let sink = 0
  for (const doc of docs) sink += convert(doc).length
  const passes = []
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now()
    for (const doc of docs) sink += convert(doc).length
    passes.push((performance.now() - started) / docs.length)
  }
  return {ms: median(passes), sink}
}

export async function run() {
  const missing = await missingManuals()
  if (missing.length > 0) return [{name: 'convert.skipped', value: null, unit: '', note: `missing manuals: ${missing.join(', ')} (apt-get install python3.11-doc postgresql-doc-15)`}]
  const docs = await pages()
  const convert = createMarkdownConverter({preserveLinks: true, preserveImages: false})
  const adapter = msPerPage(docs, (doc) => {
    const extracted = extractContent(doc.html, {mainContent: true, baseUrl: doc.url})
    return convert(extracted.html, extracted.baseUrl)
  })
  const plain = msPerPage(docs, (doc) => htmlToMarkdown(doc.html, {origin: doc.url}))
  const megabytes = docs.reduce((sum, doc) => sum + Buffer.byteLength(doc.html), 0) / 1e6
  const served = await peerPages()
  const pool = []
  const floor = []
  for (let run = 0; run < RUNS; run++) {
    pool.push(await poolPass(served, false))
    floor.push(await poolPass(served, true))
  }
  const own = medianPass(pool)
  const libraries = medianPass(floor)
  const perPage = (ms) => round(ms / served.length)
  return [{
    name: 'convert.ms_per_page', value: round(adapter.ms), unit: 'ms/page',
    baseline: "mdream's htmlToMarkdown over the raw pages in a plain loop", baseline_value: round(plain.ms),
    ratio: round(adapter.ms / plain.ms, 2),
    note: `${docs.length} manual pages (${round(megabytes, 1)} MB of HTML), main_content on, links kept; median of ${RUNS} passes`,
  }, {
    name: 'convert.pool_cpu_ms_per_page', value: perPage(own.totalMs), unit: 'CPU ms/page',
    baseline: "a fresh thread's mdream over the raw pages plus js-tiktoken's encoder over the output", baseline_value: perPage(libraries.totalMs),
    ratio: round(own.totalMs / libraries.totalMs, 2),
    note: `${served.length} served pages; per page: load ${perPage(own.loadMs)}, convert ${perPage(own.convertMs)}, cut ${perPage(own.segmentMs)} `
      + `(libraries: load ${perPage(libraries.loadMs)}, mdream ${perPage(libraries.convertMs)}, encode ${perPage(libraries.segmentMs)}); ${own.segments} segments; `
      + `thread totals ${pool.map((p) => Math.round(p.totalMs)).join(', ')} ms`,
  }]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
