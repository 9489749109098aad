// One whole `factflow run` of the shipped sitemap pipeline over BENCH_PEER_PAGES (default 1,000)
// served manual pages, with every line the process writes to stderr stamped with the time since
// spawn: where a run's seconds go (start, database open, crawl, drain). FACTFLOW_LOG_LEVEL
// defaults to info here (debug shows the database open and route starts).
//
// BENCH_TIMELINE_RUNS=2 runs it again on the same database and storage (a re-run).
//
//   node bench/tools/run-timeline.js [pipeline.yaml]
import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {startManualSite} from '../lib/manual-site.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const PIPELINE = process.argv[2] ?? fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const PAGES = Number(process.env.BENCH_PEER_PAGES ?? 1000)

const site = await startManualSite({pages: PAGES})
const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-timeline-'))
try {
  for (let run = 1; run <= Number(process.env.BENCH_TIMELINE_RUNS ?? 1); run++) {
  console.log(`== run ${run}`)
  const started = performance.now()
  const child = spawn(process.execPath, [BIN, 'run', PIPELINE, '--set', `sitemap_url=${site.sitemapUrl}`,
    '--database', path.join(work, 'db'), '--storage', `file://${path.join(work, 'storage')}`, '--no-tui'],
  {cwd: work, env: {FACTFLOW_LOG_LEVEL: 'info', ...process.env, MAX_URLS: String(PAGES)}, stdio: ['ignore', 'pipe', 'pipe']})
  const stamp = () => `${((performance.now() - started) / 1000).toFixed(2).padStart(6)}s`
  createInterface({input: child.stderr}).on('line', (line) => console.log(`${stamp()} ${line.slice(0, 220)}`))
  let stdout = ''
  child.stdout.on('data', (d) => { stdout += d })
  const code = await new Promise((resolve) => child.on('close', resolve))
  console.log(`${stamp()} exit ${code}`)
  console.log(stdout.trimEnd())
  }
} finally {
  await site.close()
  await rm(work, {recursive: true, force: true})
}
