// The worker thread of bench/convert.js's `convert.pool_cpu_ms_per_page`: runs html_to_markdown's
// and smart_segmenter's CPU-pool tasks on every page once, as a fresh pool thread does in a run
// (the module imports, the token counter's load and the warm-up are part of its cost), and
// reports this thread's CPU milliseconds (Linux: /proc/thread-self/stat; elsewhere wall time).
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'
import {parentPort, workerData} from 'node:worker_threads'

const TICK_MS = 10

function threadCpuMs() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return performance.now()
  }
}

const {pages, dist, floor, convert: convertOptions, segment: segmentOptions} = workerData
const started = threadCpuMs()
if (floor) {
  // The libraries' floor: mdream over the raw page, js-tiktoken's encoder (built here) over its output.
  const [{htmlToMarkdown}, {Tiktoken}, {default: ranks}] = await Promise.all([
    import('mdream'), import('js-tiktoken/lite'), import(`js-tiktoken/ranks/${segmentOptions.encoding}`),
  ])
  const encoder = new Tiktoken(ranks)
  const loaded = threadCpuMs()
  const markdown = pages.map((page) => htmlToMarkdown(page.html, {origin: page.url}))
  const converted = threadCpuMs()
  let tokens = 0
  for (const text of markdown) tokens += encoder.encode(text, [], []).length
  const counted = threadCpuMs()
  parentPort.postMessage({loadMs: loaded - started, convertMs: converted - loaded, segmentMs: counted - converted, totalMs: counted - started, tokens})
} else {
  const [{convertHtml}, {loadSegmentCounter, segmentDocument}] = await Promise.all([
    import(`${dist}/src/adapters/markdown/html/convert-task.js`), import(`${dist}/src/adapters/markdown/segmenting/segment-task.js`),
  ])
  await loadSegmentCounter({encoding: segmentOptions.encoding})
  const loaded = threadCpuMs()
  // All conversions, then all cuts (a run interleaves them; the sums are what is read).
  const markdown = pages.map((page) => convertHtml({html: page.html, baseUrl: page.url, ...convertOptions}).markdown)
  const converted = threadCpuMs()
  let segments = 0
  for (const text of markdown) segments += (await segmentDocument({markdown: text, ...segmentOptions})).length
  const segmented = threadCpuMs()
  parentPort.postMessage({loadMs: loaded - started, convertMs: converted - loaded, segmentMs: segmented - converted, totalMs: segmented - started, segments})
}
