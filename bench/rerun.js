// Re-run cost (issue 16, "Re-runs that cost almost nothing"): the whole `factflow run` process
// (start to exit, opening the database included) over BENCH_RERUN_PAGES (default 300) pages of
// bench/lib/corpus-site.js, twice in a row with the same --database and --storage, the site
// unchanged in between. Prints one JSON line: both times, their ratio (target ≤ 0.25), the
// second run's summary counts, the objects each run stored and the requests / body bytes / 304s the
// site answered in each run.
// BENCH_RERUN_VALIDATORS=0 serves no ETag / Last-Modified (every page fetched in full again: the
// content hash alone must spare the work). Needs `npm run build` and the Debian manuals (see
// corpus-site.js).
//
//   node bench/rerun.js
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {missingManuals, startCorpusSite} from './lib/corpus-site.js'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const PIPELINE = fileURLToPath(new URL('../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const PAGES = Number(process.env.BENCH_RERUN_PAGES ?? 300)

// CPU seconds of the child (user + system, every thread) besides the wall time: on a machine shared
// with other work the wall time swings with the load, the CPU time much less. GNU time when present.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const CPU_LINE = /^factflow-cpu ([\d.]+) ([\d.]+)$/m

function runOnce(work, sitemapUrl) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const command = [process.execPath, BIN, 'run', PIPELINE, '--json',
      '--set', `sitemap_url=${sitemapUrl}`, '--database', path.join(work, 'db'), '--storage', `file://${path.join(work, 'storage')}`,
    ]
    const [file, ...args] = TIME ? [TIME, '-f', 'factflow-cpu %U %S', ...command] : command
    const child = spawn(file, args, {cwd: work, env: {...process.env, MAX_URLS: String(PAGES), FORCE_COLOR: '0', CI: 'true'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      if (code !== 0) return reject(new Error(`factflow run exited ${code}: ${stderr.slice(-2000)}`))
      const cpu = CPU_LINE.exec(stderr)
      resolve({seconds, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, summary: JSON.parse(stdout)})
    })
  })
}

/** Objects a run stored under its execution's prefix by extension (metadata sidecars left out). */
async function storedObjects(work, executionId) {
  const files = await readdir(path.join(work, 'storage', 'executions', executionId), {recursive: true}).catch(() => [])
  const counts = {}
  for (const file of files) {
    const extension = /\.[a-z]+$/.exec(file)?.[0]
    if (extension !== undefined && !file.endsWith('.meta.json')) counts[extension] = (counts[extension] ?? 0) + 1
  }
  return counts
}

const missing = await missingManuals()
if (missing.length > 0) {
  process.stderr.write(`rerun: skipped, missing manuals ${missing.join(', ')}\n`)
  process.exit(0)
}
const VALIDATORS = process.env.BENCH_RERUN_VALIDATORS !== '0'
const site = await startCorpusSite({limit: PAGES, validators: VALIDATORS})
const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-rerun-'))
try {
  const counts = (summary) => Object.fromEntries(Object.entries(summary.routes).map(([name, route]) => [name,
    {received: route.received, completed: route.completed, unchanged: route.unchanged, ...(route.embedded === undefined ? {} : {embedded: route.embedded})}]))
  const before = site.stats()
  const first = await runOnce(work, site.sitemapUrl)
  const between = site.stats()
  const second = await runOnce(work, site.sitemapUrl)
  const after = site.stats()
  const round = (value) => Math.round(value * 1000) / 1000
  process.stdout.write(`${JSON.stringify({
    pages: PAGES,
    validators: VALIDATORS,
    first_s: round(first.seconds),
    second_s: round(second.seconds),
    ratio: round(second.seconds / first.seconds),
    ...(first.cpuSeconds === undefined ? {} : {
      first_cpu_s: round(first.cpuSeconds), second_cpu_s: round(second.cpuSeconds), cpu_ratio: round(second.cpuSeconds / first.cpuSeconds),
    }),
    first: {routes: counts(first.summary), stored_objects: await storedObjects(work, first.summary.execution_id), requests: between.requests - before.requests, body_bytes: between.bytes - before.bytes, not_modified: between.notModified - before.notModified},
    second: {routes: counts(second.summary), stored_objects: await storedObjects(work, second.summary.execution_id), requests: after.requests - between.requests, body_bytes: after.bytes - between.bytes, not_modified: after.notModified - between.notModified},
  })}\n`)
} finally {
  await site.close()
  await rm(work, {recursive: true, force: true})
}
