// Profiles one whole `factflow run` of the ingest pipeline (the process ingest.peer_ratio measures)
// over BENCH_PEER_PAGES (default 1,000) served manual pages: a V8 CPU profile per thread
// (--cpu-prof, main thread and every worker), the process's CPU seconds (user + system, from
// /usr/bin/time) and wall time, with the load average at the time. On a shared machine wall time
// is noise; read proportions of non-idle time and CPU seconds.
//
//   node bench/profile-ingest.js [--out DIR] [--no-prof] [--trace-gc]   then   node bench/tools/cpuprofile-summary.js DIR
// (--no-prof: CPU seconds per thread and RSS over time without the profiler's overhead.)
// BENCH_KEEP_WORK=1 leaves the run's database and storage in place: on this machine's journal-less
// ext4, deleting them makes file creation in the next ~30 s up to 20× slower (see lib/factflow-process.js).
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {startManualSite} from './lib/manual-site.js'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const PIPELINE = process.env.BENCH_PIPELINE ?? fileURLToPath(new URL('../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const PAGES = Number(process.env.BENCH_PEER_PAGES ?? 1000)
const args = process.argv.slice(2)
const outIndex = args.indexOf('--out')
const out = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(os.tmpdir(), `factflow-profile-${Date.now()}`))
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')

await mkdir(out, {recursive: true})
const site = await startManualSite({pages: PAGES})
const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-profile-run-'))
try {
  const timeFile = path.join(out, 'time.txt')
  const threadsFile = path.join(out, 'threads.json')
  const nodeArgs = ['--import', new URL('./lib/thread-cpu-at-exit.js', import.meta.url).href, '--cpu-prof', '--cpu-prof-dir', out, '--cpu-prof-interval', '500']
  if (args.includes('--no-prof')) nodeArgs.splice(2, 6)
  if (args.includes('--trace-gc')) nodeArgs.push('--trace-gc')
  // Extra node / V8 flags for an experiment, e.g. BENCH_NODE_FLAGS='--liftoff-only'.
  if (process.env.BENCH_NODE_FLAGS) nodeArgs.push(...process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean))
  const loadBefore = load()
  const started = performance.now()
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, ...nodeArgs, BIN,
    'run', PIPELINE, '--set', `sitemap_url=${site.sitemapUrl}`,
    '--database', path.join(work, 'db'), '--storage', `file://${path.join(work, 'storage')}`, '--no-tui', '--json'],
  {cwd: work, env: {FACTFLOW_LOG_LEVEL: 'debug', ...process.env, MAX_URLS: String(PAGES), FACTFLOW_BENCH_THREADS_FILE: threadsFile}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  // The node process's resident set over time (the child of /usr/bin/time).
  const samples = []
  // Every thread's CPU seconds, read from outside as the run goes (the last reading per thread
  // counts): an idle piscina worker blocks in Atomics.wait, where its own 250 ms timer cannot run,
  // and a destroyed one runs no exit handler, so the worker's own file can be seconds stale.
  const threadCpu = new Map()
  const sampler = setInterval(async () => {
    const kids = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '')
    const pid = kids.trim().split(/\s+/)[0]
    const status = pid ? await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '') : ''
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1])
    if (kb > 0) samples.push([Math.round((performance.now() - started) / 100) / 10, Math.round(kb / 1024)])
    for (const tid of pid ? await readdir(`/proc/${pid}/task`).catch(() => []) : []) {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields.length > 12) threadCpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100)
    }
  }, 500)
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  const code = await new Promise((resolve) => child.on('close', resolve))
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const [wall, user, sys, maxKb] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop().split(' ').map(Number)
  const summary = code === 0 && !args.includes('--trace-gc') ? JSON.parse(stdout) : undefined
  const result = {
    code, pages: PAGES, answered: site.stats().pagesAnswered, wall_s: wall ?? seconds, cpu_user_s: user, cpu_sys_s: sys,
    cpu_per_page_ms: Math.round(((user + sys) / PAGES) * 1e4) / 10, max_rss_mb: Math.round(maxKb / 1024),
    load_before: loadBefore, load_after: load(), status: summary?.status, out,
  }
  const live = JSON.parse(await readFile(threadsFile, 'utf8').catch(() => '[]'))
  const workers = await Promise.all((await readdir(out)).filter((n) => n.startsWith('threads.json.worker-')).map(async (n) => JSON.parse(await readFile(path.join(out, n), 'utf8'))))
  const workerTids = new Set(workers.map((w) => w.tid))
  const peak = samples.reduce((best, sample) => (sample[1] > best[1] ? sample : best), [0, 0])
  result.rss_mb = {peak_at_s: peak[0], peak: peak[1], every_5s: samples.filter((_, i) => i % 10 === 0).map(([t, mb]) => `${t}s:${mb}`).join(' ')}
  const sampled = (t) => ({...t, cpu_s: Math.max(t.cpu_s, threadCpu.get(t.tid) ?? 0)})
  result.threads = [...live.filter((t) => !workerTids.has(t.tid)).map((t) => ({...t, kind: t.main ? 'main' : 'helper'})), ...workers.map((w) => ({...sampled(w), kind: w.pglite ? 'pglite' : 'worker'}))]
    .filter((t) => t.cpu_s >= 0.05).map(({tid, kind, cpu_s}) => `${kind}:${tid} ${cpu_s}s`)
  result.database_open = stderr.split('\n').filter((l) => l.includes('"database open"')).map((l) => JSON.parse(l)).map(({open_ms, migrate_ms, since_start_ms}) => ({open_ms, migrate_ms, since_start_ms}))[0]
  if (args.includes('--trace-gc')) await writeFile(path.join(out, 'stdout-gc.txt'), stdout)
  if (code !== 0) result.stderr = stderr.split('\n').slice(-15).join('\n')
  if (args.includes('--trace-gc')) result.gc_log = path.join(out, 'stdout-gc.txt')
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
} finally {
  await site.close()
  if (!process.env.BENCH_KEEP_WORK) await rm(work, {recursive: true, force: true})
}
