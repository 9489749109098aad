// The crawl's HTTP client: CPU per page of web_scraper's fetch (`fetchOnce` through the runtime's
// policy-checked undici Agent) against Node's global `fetch` (what the LlamaIndex.TS peer uses),
// each in a fresh process, as a `factflow run` pays it: BENCH_FETCH_PAGES (default 1,000) manual
// pages served by bench/lib/manual-site.js (one connection per request, as the peer's server
// does), 8 at a time, bodies read in full. A fresh process's first pass includes the JIT's warm-up;
// a second pass in the same process shows the steady state. Needs `npm run build`.
//
//   fetch.cpu_ms_per_page         first pass in a fresh process (what one run pays)
//   fetch.steady_cpu_ms_per_page  second pass in the same process
import {spawn} from 'node:child_process'

import {missingManuals} from './lib/corpus-site.js'
import {startManualSite} from './lib/manual-site.js'

const PAGES = Number(process.env.BENCH_FETCH_PAGES ?? 1000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const HTTP_FETCH = new URL('../dist/src/adapters/web/http-fetch.js', import.meta.url).href
const DISPATCHER = new URL('../dist/src/network/guarded-dispatcher.js', import.meta.url).href

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits

// The child: fetches every URL twice (two passes), printing each pass's CPU milliseconds.
const CHILD = `
const [mode, urlsJson] = process.argv.slice(1)
const urls = JSON.parse(urlsJson)
let get
if (mode === 'factflow') {
  const {fetchOnce} = await import(${JSON.stringify(HTTP_FETCH)})
  const {createGuardedDispatcher} = await import(${JSON.stringify(DISPATCHER)})
  const dispatcher = createGuardedDispatcher({allowPrivate: true, allowLinkLocal: false})
  const headers = {'user-agent': 'factflow-bench', accept: 'text/html'}
  get = async (url) => (await fetchOnce(url, {dispatcher, headers, timeoutMs: 30000, maxBytes: 10485760})).body.length
} else {
  get = async (url) => (await (await fetch(url)).arrayBuffer()).byteLength
}
const passes = []
for (let pass = 0; pass < 2; pass++) {
  const before = process.cpuUsage()
  let next = 0
  let bytes = 0
  await Promise.all(Array.from({length: 8}, async () => {
    while (next < urls.length) {
      const read = await get(urls[next++])
      bytes += read
    }
  }))
  const used = process.cpuUsage(before)
  passes.push({cpu_ms: (used.user + used.system) / 1000, bytes})
}
console.log(JSON.stringify(passes))
process.exit(0)
`

function passes(mode, urls) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, mode, JSON.stringify(urls)], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} child exited with ${code}`))))
  })
}

export async function run() {
  if ((await missingManuals(['postgresql'])).length > 0) {
    return [{name: 'fetch.skipped', value: null, unit: '', note: 'missing manual (apt-get install postgresql-doc-15)'}]
  }
  const site = await startManualSite({pages: PAGES})
  try {
    const urls = site.pages.map((page) => page.url)
    const ours = []
    const theirs = []
    for (let r = 0; r < RUNS; r++) {
      ours.push(await passes('factflow', urls))
      theirs.push(await passes('global', urls))
    }
    if (ours[0][0].bytes !== site.bytes || theirs[0][0].bytes !== site.bytes) throw new Error('a client did not read every page in full')
    const perPage = (results, pass) => round(median(results.map((r) => r[pass].cpu_ms)) / urls.length)
    const note = `${urls.length} served manual pages (${round(site.bytes / 1e6, 1)} MB), 8 at a time, one connection per request; median of ${RUNS} fresh processes`
    return [
      {
        name: 'fetch.cpu_ms_per_page', value: perPage(ours, 0), unit: 'CPU ms/page',
        baseline: "Node's global fetch (the peer's client), fresh process", baseline_value: perPage(theirs, 0),
        ratio: round(perPage(ours, 0) / perPage(theirs, 0), 2), note: `first pass in a fresh process; ${note}`,
      },
      {
        name: 'fetch.steady_cpu_ms_per_page', value: perPage(ours, 1), unit: 'CPU ms/page',
        baseline: "Node's global fetch, second pass", baseline_value: perPage(theirs, 1),
        ratio: round(perPage(ours, 1) / perPage(theirs, 1), 2), note: `second pass in the same process; ${note}`,
      },
    ]
  } finally {
    await site.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const figure of await run()) console.log(JSON.stringify(figure))
}
