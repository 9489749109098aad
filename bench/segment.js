// smart_segmenter throughput. Needs the built code: `npm run build`, then `node bench/segment.js`.
//
// Corpus: ~BENCH_SEGMENT_MB (default 20) MB of markdown made from the HTML fixtures in
// test/fixtures/html, converted once by the built html_to_markdown and repeated as many documents;
// each document gets a paragraph and a code block of fresh pseudo-words, identifiers and numbers,
// so the token counter keeps meeting pre-tokens it has not seen (a corpus repeating the fixtures
// verbatim would flatter its memo).
//
// Figure (median of 3 runs, each with a fresh counter so nothing is remembered across runs):
// - segment.mb_per_s: segmentMarkdown over every document (max 512, min 64 tokens, no overlap),
//   exact cl100k_base counts included. Baseline: js-tiktoken encoding the same documents in a
//   plain loop (`encode(doc).length`) — the floor cost of counting their tokens at all.
import {readdir, readFile} from 'node:fs/promises'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'

import {createAdapter as createHtmlToMarkdown} from '../dist/src/adapters/markdown/html-to-markdown.js'
import {segmentMarkdown} from '../dist/src/adapters/markdown/segmenting/segment-markdown.js'
import {loadTokenCounter} from '../dist/src/adapters/markdown/segmenting/token-counter.js'
import {createInlineCpuPool} from '../dist/src/cpu/inline-cpu-pool.js'
import {silentLogger} from '../dist/src/logging/logger.js'

import {random} from './lib/random.js'

const TARGET_BYTES = Number(process.env.BENCH_SEGMENT_MB ?? 20) * 1e6
const RUNS = 3
const OPTIONS = {maxTokens: 512, minTokens: 64, overlapTokens: 0}
const FIXTURES = fileURLToPath(new URL('../test/fixtures/html/', import.meta.url))

const SYLLABLES = ['ka', 'lo', 'mer', 'tis', 'vun', 'dra', 'pel', 'qui', 'zor', 'ben', 'ath', 'ix', 'rou', 'sen', 'gal', 'fyr']

function pseudoWord(next) {
  let word = ''
  const n = 2 + Math.floor(next() * 3)
  for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)]
  return word
}

function variation(i, next) {
  const words = Array.from({length: 60}, () => pseudoWord(next))
  const sentence = words.map((w, k) => (k % 12 === 0 ? w[0].toUpperCase() + w.slice(1) : w)).join(' ')
  const code = Array.from({length: 12}, (_, k) => `const ${pseudoWord(next)}_${k} = ${Math.floor(next() * 1e6)} // 0x${Math.floor(next() * 2 ** 32).toString(16)}`)
  return `## Document ${i}: ${pseudoWord(next)}\n\n${sentence}.\n\n\`\`\`js\n${code.join('\n')}\n\`\`\``
}

async function fixtureMarkdown() {
  // No database: every page is converted (nothing is stored or reused).
  const resources = {
    storage: undefined, logger: silentLogger, executionState: new Map(), cpu: createInlineCpuPool(), newDatabase: false,
    database: () => Promise.reject(new Error('no database in the benchmark')),
  }
  const adapter = createHtmlToMarkdown({main_content: true, preserve_links: true, preserve_images: false}, resources)
  const out = []
  for (const name of (await readdir(FIXTURES)).filter((file) => file.endsWith('.html')).sort()) {
    const html = await readFile(`${FIXTURES}${name}`, 'utf8')
    const context = {
      payload: {html, url: `https://docs.example.org/${name}`}, metadata: {}, signal: new AbortController().signal,
      storageKey: () => { throw new Error('no storage in the benchmark') },
    }
    const {payload} = await adapter.process(context)
    out.push(payload.markdown)
  }
  return out
}

export async function corpus(targetBytes = TARGET_BYTES) {
  const bases = await fixtureMarkdown()
  const next = random(42)
  const documents = []
  let bytes = 0
  for (let i = 0; bytes < targetBytes; i++) {
    const doc = `${bases[i % bases.length]}\n\n${variation(i, next)}`
    documents.push(doc)
    bytes += Buffer.byteLength(doc)
  }
  return {documents, bytes}
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits

export async function run() {
  const {documents, bytes} = await corpus()
  const mb = bytes / 1e6
  const rates = []
  let segments = 0
  for (let r = 0; r < RUNS; r++) {
    const counter = await loadTokenCounter('cl100k_base')
    segments = 0
    const started = performance.now()
    for (const doc of documents) segments += segmentMarkdown(doc, OPTIONS, counter).length
    rates.push(mb / ((performance.now() - started) / 1000))
  }
  const encoder = new Tiktoken(cl100k)
  let tokens = 0
  const started = performance.now()
  for (const doc of documents) tokens += encoder.encode(doc, [], []).length
  const baseline = mb / ((performance.now() - started) / 1000)
  const value = median(rates)
  return [{
    name: 'segment.mb_per_s', value: round(value), unit: 'MB/s',
    baseline: 'js-tiktoken cl100k_base encode of the same documents in a plain loop', baseline_value: round(baseline),
    ratio: round(value / baseline),
    note: `${documents.length} documents, ${round(mb, 1)} MB, ${tokens} tokens, ${segments} segments (max 512, min 64); runs ${rates.map((x) => round(x)).join(', ')} MB/s`,
  }]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
