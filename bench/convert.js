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
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {htmlToMarkdown} from 'mdream'

import {extractContent} from '../dist/src/adapters/markdown/html/extract-content.js'
import {createMarkdownConverter} from '../dist/src/adapters/markdown/html/markdown-converter.js'

import {listManualPages, MANUALS, missingManuals, selectPages} from './lib/corpus-site.js'

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
  return [{
    name: 'convert.ms_per_page', value: round(adapter.ms), unit: 'ms/page',
    baseline: "mdream's htmlToMarkdown over the raw pages in a plain loop", baseline_value: round(plain.ms),
    ratio: round(adapter.ms / plain.ms, 2),
    note: `${docs.length} manual pages (${round(megabytes, 1)} MB of HTML), main_content on, links kept; median of ${RUNS} passes`,
  }]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
