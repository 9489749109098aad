// Web view benchmarks (issue 23). Needs the built code (`npm run build`), then `node bench/web.js`
// (prints the figures as JSON) or `npm run bench -- --only web`.
//
// - web.bundle_kb: gzip size (KiB) of what the executions page loads: dist/web/index.html's script
//   and stylesheet (the other pages are chunks loaded on first visit). Baseline: React + react-dom
//   alone (a page that renders one element), built in the same run with the same Vite settings, so
//   the ratio says what the app weighs over React itself.
// - web.first_paint_ms: Debian's Chromium (playwright-core), a fresh browser context each time (cold
//   cache), from navigation start until the executions page shows its first page of rows, against
//   `factflow serve --embedded` holding 1,000 stored executions (seeded into its database before it
//   starts); median of 5. Baseline: the same browser loading the page's data alone
//   (`GET /api/v1/executions?limit=50` as a document, until its load event).
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {gzipSync} from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin/run.js')
const WEB = path.join(ROOT, 'dist/web')
const EXECUTIONS = Number(process.env.BENCH_WEB_EXECUTIONS ?? 1000)
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 5)
const CHROMIUM = '/usr/bin/chromium'

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 0) => Number(value.toFixed(digits))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const dist = (file) => pathToFileURL(path.join(ROOT, 'dist', file)).href

/** gzip bytes of the script and stylesheet an index.html names. */
async function pageBytes(dir) {
  const html = await readFile(path.join(dir, 'index.html'), 'utf8')
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
  let bytes = 0
  for (const file of files) bytes += gzipSync(await readFile(path.join(dir, file)), {level: 9}).byteLength
  return {bytes, files}
}

/** React + react-dom rendering one element, built like the app. */
async function reactOnlyBytes() {
  const scratch = path.join(ROOT, '.scratch', `bench-web-${process.pid}`)
  await mkdir(scratch, {recursive: true})
  try {
    await writeFile(path.join(scratch, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="./main.js"></script>')
    await writeFile(path.join(scratch, 'main.js'), "import {createElement} from 'react'\nimport {createRoot} from 'react-dom/client'\ncreateRoot(document.getElementById('root')).render(createElement('p', null, 'x'))\n")
    const {build} = await import('vite')
    await build({root: scratch, logLevel: 'silent', configFile: false, build: {outDir: path.join(scratch, 'out'), target: 'es2022', reportCompressedSize: false}})
    return (await pageBytes(path.join(scratch, 'out'))).bytes
  } finally {
    await rm(scratch, {recursive: true, force: true})
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** The embedded database of `dir`, migrated, holding `count` completed executions of a three-route pipeline. */
async function seed(dir, count) {
  const {openDatabase} = await import(dist('src/db/open-database.js'))
  const {migrate} = await import(dist('src/db/migrate.js'))
  const db = await openDatabase(path.join(dir, 'output/db'))
  try {
    await migrate(db)
    const route = (n) => ({received: n, completed: n, failed: 0, dead_lettered: 0, unchanged: 0, embedded: 0, elements: 0, elements_done: 0, elements_failed: 0})
    const summary = {routes: {list: route(1), read: route(20), load: route(20)}, messages: {total: 41, completed: 41, failed: 0, dead_lettered: 0}}
    const snapshot = {name: 'local-folder-to-storage', version: '1.0', routes: {}}
    await db.query(`
      INSERT INTO executions (id, config_name, config_snapshot, status, tag, summary, created_at, started_at, completed_at)
      SELECT gen_random_uuid(), 'local-folder-to-storage', $1::jsonb, CASE WHEN i % 17 = 0 THEN 'failed' ELSE 'completed' END,
             CASE WHEN i % 5 = 0 THEN 'nightly-' || i END, $2::jsonb,
             now() - make_interval(mins => i), now() - make_interval(mins => i), now() - make_interval(mins => i) + interval '12 seconds'
      FROM generate_series(1, $3::int) AS i`, [JSON.stringify(snapshot), JSON.stringify(summary), count])
  } finally {
    await db.close()
  }
}

async function startServer(dir) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, [BIN, 'serve', '--embedded', '--no-containers', '--port', String(port)], {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  let exited = false
  child.once('exit', () => { exited = true })
  const started = performance.now()
  for (;;) {
    if (exited) throw new Error(`factflow serve exited: ${stderr}`)
    if (await fetch(`${url}/api/v1/system/health`).then((r) => r.status === 200, () => false)) break
    if (performance.now() - started > 150_000) throw new Error(`factflow serve not healthy after 150 s: ${stderr}`)
    await sleep(50)
  }
  return {url, stop: async () => { if (!exited) { const gone = new Promise((resolve) => child.once('exit', resolve)); child.kill('SIGTERM'); await gone } }}
}

export async function run() {
  const figures = []
  const app = await pageBytes(WEB)
  const react = await reactOnlyBytes()
  figures.push({
    name: 'web.bundle_kb', value: round(app.bytes / 1024, 1), unit: 'KiB gzip', baseline: 'React + react-dom alone, same build', baseline_value: round(react / 1024, 1),
    ratio: round(app.bytes / react, 2), note: `${app.files.join(', ')} (gzip -9); other pages load as chunks on first visit`,
  })

  const {chromium} = await import('playwright-core')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-web-'))
  let server
  let browser
  try {
    await seed(dir, EXECUTIONS)
    server = await startServer(dir)
    const listed = await (await fetch(`${server.url}/api/v1/executions?limit=1`)).json()
    if (listed.total !== EXECUTIONS) throw new Error(`the server lists ${listed.total} executions, not ${EXECUTIONS}`)
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true, chromiumSandbox: false,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    const paint = []
    const fcp = []
    const data = []
    const listStart = []
    const listEnd = []
    // One warm-up of each (the server's first list query and file reads), then the measured runs.
    for (let i = 0; i <= RUNS; i++) {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`${server.url}/`, {waitUntil: 'commit'})
      const shown = await (await page.waitForFunction(() => document.querySelectorAll('table.executions tr[data-status]').length >= 50 && performance.now(), undefined, {polling: 'raf', timeout: 60_000})).jsonValue()
      const firstContentful = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null)
      // When the list request started and answered (index.html starts it beside the bundle's download).
      const listTiming = await page.evaluate(() => {
        const entry = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/executions?'))
        return entry ? [entry.startTime, entry.responseEnd] : null
      })
      await page.close()
      const dataPage = await context.newPage()
      await dataPage.goto(`${server.url}/api/v1/executions?limit=50`, {waitUntil: 'load'})
      const dataMs = await dataPage.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd)
      await context.close()
      if (i === 0) continue
      paint.push(shown)
      if (firstContentful !== null) fcp.push(firstContentful)
      if (listTiming !== null) { listStart.push(listTiming[0]); listEnd.push(listTiming[1]) }
      data.push(dataMs)
    }
    const value = median(paint)
    const baseline = median(data)
    figures.push({
      name: 'web.first_paint_ms', value: round(value), unit: 'ms', baseline: 'the page\'s data alone (GET /executions?limit=50 as a document)', baseline_value: round(baseline),
      ratio: round(value / baseline, 2),
      note: `until 50 rows of ${EXECUTIONS} executions show, cold cache, median of ${RUNS} (runs ${paint.map((v) => round(v)).join('/')}); first contentful paint ${round(median(fcp))} ms; list request sent at ${listStart.length ? round(median(listStart)) : '—'} ms, answered at ${listEnd.length ? round(median(listEnd)) : '—'} ms`,
    })
  } finally {
    await browser?.close()
    await server?.stop()
    await rm(dir, {recursive: true, force: true})
  }
  return figures
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({figures: await run()}, null, 2))
}
