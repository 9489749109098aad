// Where a `factflow run` leaves the cores idle: one run of the shipped sitemap pipeline over
// BENCH_PEER_PAGES (default 1,000) served manual pages, sampling every 250 ms how many cores the
// process used, how many the whole machine used, and each thread's share (MAIN is the main thread;
// the others by thread id: the CPU pool's worker starts first, then PGlite's), under the progress
// lines the run printed. A thread near 1.0 is a bound; a process well under 2.0 with no such
// thread is waiting, not computing. The work directory is kept (see lib/factflow-process.js).
//
//   node bench/tools/cpu-timeline.js    (BENCH_PIPELINE=file.yaml for another pipeline)
import {spawn} from 'node:child_process'
import {mkdtemp, readdir, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {startManualSite} from '../lib/manual-site.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const PIPELINE = process.env.BENCH_PIPELINE ?? fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const PAGES = Number(process.env.BENCH_PEER_PAGES ?? 1000)
const TICK_MS = 250

const site = await startManualSite({pages: PAGES})
const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-cpu-timeline-'))
const started = performance.now()
const seconds = () => (performance.now() - started) / 1000
const child = spawn(process.execPath, [BIN, 'run', PIPELINE, '--set', `sitemap_url=${site.sitemapUrl}`,
  '--database', path.join(work, 'db'), '--storage', `file://${path.join(work, 'storage')}`, '--no-tui'],
{stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, MAX_URLS: String(PAGES)}})
const lines = []
createInterface({input: child.stderr}).on('line', (line) => lines.push([seconds(), line]))

/** CPU seconds (user + system) of a /proc stat line. */
const cpuOf = (stat) => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
const machineTicks = async () => (await readFile('/proc/stat', 'utf8')).split('\n')[0].split(/\s+/).slice(1).map(Number)
const threads = async () => {
  const out = new Map()
  for (const tid of await readdir(`/proc/${child.pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${child.pid}/task/${tid}/stat`, 'utf8').catch(() => '')
    if (stat) out.set(tid, cpuOf(stat))
  }
  return out
}

const rows = []
let last = {t: 0, process: 0, machine: await machineTicks(), threads: new Map()}
const sampler = setInterval(async () => {
  const t = seconds()
  const [stat, machine, perThread] = await Promise.all([readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => ''), machineTicks(), threads()])
  if (!stat) return
  const span = t - last.t
  const ticks = machine.map((value, i) => value - last.machine[i])
  const busy = (ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4]) / 100
  const shares = [...perThread].map(([tid, cpu]) => [tid, (cpu - (last.threads.get(tid) ?? 0)) / span]).filter(([, share]) => share >= 0.05)
  rows.push({t, process: (cpuOf(stat) - last.process) / span, machine: busy / span,
    threads: shares.map(([tid, share]) => `${tid === String(child.pid) ? 'MAIN' : tid}:${share.toFixed(2)}`).join(' ')})
  last = {t, process: cpuOf(stat), machine, threads: perThread}
}, TICK_MS)
const code = await new Promise((resolve) => child.on('close', resolve))
clearInterval(sampler)
await site.close()
for (const row of rows) {
  console.log(`${row.t.toFixed(2).padStart(6)}s  process ${row.process.toFixed(2)}  machine ${row.machine.toFixed(2)}  ${row.threads}`)
  for (const [t, line] of lines) if (t <= row.t && t > row.t - TICK_MS / 1000) console.log(`         ${line.slice(0, 200)}`)
}
console.log(`exit ${code} at ${seconds().toFixed(2)}s (work directory ${work})`)
