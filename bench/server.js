// Server benchmarks (issue 17, `factflow serve`). Needs the built code: `npm run build`, then
// `node bench/server.js` (prints the figures as JSON) or `npm run bench -- --only server`.
//
// - serve.ready_ms: `factflow serve --embedded --port P` spawned in an empty temp folder, until
//   `GET /api/v1/system/health` answers 200; median of 3 starts, each in a fresh folder.
//   Baseline: a process that only opens and migrates the embedded PGlite database in a fresh
//   folder (template cache warm, as for the server) and exits: the floor under an embedded start,
//   so the ratio says what the server adds over its database (docs/decisions.md, 2026-12-07).
// - api.health.rps, api.executions_list.p99_ms: autocannon in a second process on loopback,
//   10 connections for 5 s each, against one embedded server holding 30 stored executions.
//   Baseline: a bare @hono/node-server hello handler (bench/lib/hello-server.js) under the same load.
// - sse.fanout: one execution of `fan_out` + `delay` (~10 s) with 100 SSE clients in a separate
//   process, against the same execution with no client (before and after). The figure is
//   duration(no client) / duration(100 clients), from the execution's started_at and
//   completed_at; target >= 0.90. Each client must receive every event id of the execution (as
//   the stored archive replays them) exactly once, in order, with the terminal event last.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin/run.js')
const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js')
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5)
const LOAD_CONNECTIONS = 10
const SSE_CLIENTS = 100
const STORED_EXECUTIONS = 30
/** `BENCH_SERVER_PARTS=fanout` (or `ready,load`) runs only those parts. */
const PARTS = new Set((process.env.BENCH_SERVER_PARTS ?? 'ready,load,fanout').split(','))

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 0) => Number(value.toFixed(digits))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

/** `factflow serve --embedded` in a fresh empty folder; resolves once health answers 200, with the time that took. */
export async function startServer() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-serve-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = spawn(process.execPath, [BIN, 'serve', '--embedded', '--port', String(port)], {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  let exited = false
  child.once('exit', () => { exited = true })
  for (;;) {
    if (exited) throw new Error(`factflow serve exited before it was healthy: ${stderr}`)
    const healthy = await fetch(`${url}/api/v1/system/health`).then((r) => r.status === 200, () => false)
    if (healthy) break
    if (performance.now() - started > 120_000) throw new Error(`factflow serve not healthy after 120 s: ${stderr}`)
    await sleep(10)
  }
  const readyMs = performance.now() - started
  return {
    url, readyMs, dir,
    /** CPU time (user + system, ms) the server process has used so far (Linux /proc; undefined elsewhere). */
    cpuMs: () => processCpuMs(child.pid),
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await gone
      }
      await rm(dir, {recursive: true, force: true})
    },
  }
}

/** The baseline of serve.ready_ms: open and migrate a fresh embedded database in its own process. */
async function databaseOnlyMs() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-db-'))
  const script = `
    const {openDatabase} = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/src/db/open-database.js')).href)})
    const {migrate} = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/src/db/migrate.js')).href)})
    const db = await openDatabase('./output/db')
    await migrate(db)
    await db.close()`
  try {
    const started = performance.now()
    await runProcess(process.execPath, ['--input-type=module', '-e', script], {cwd: dir})
    return performance.now() - started
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

async function processCpuMs(pid) {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    // utime and stime (fields 14 and 15 of proc(5)) in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

function runProcess(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve(stdout) : reject(new Error(`${path.basename(args[0] ?? command)} exited ${code}: ${stderr.slice(-2000)}`)))
  })
}

/** autocannon in its own process; its JSON result. */
async function load(url) {
  const result = JSON.parse(await runProcess(process.execPath, [AUTOCANNON, '-c', String(LOAD_CONNECTIONS), '-d', String(LOAD_SECONDS), '--json', url]))
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`load on ${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers`)
  return {rps: result.requests.average, p99: result.latency.p99, requests: result.requests.total}
}

async function helloServer() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/lib/hello-server.js')], {cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit']})
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk) => resolve(String(chunk).trim()))
    child.once('exit', (code) => reject(new Error(`hello server exited ${code}`)))
  })
  return {url, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM') })}
}

export async function api(base, method, url, body) {
  const response = await fetch(`${base}${url}`, {method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)})
  const parsed = await response.json().catch(() => null)
  if (response.status >= 400) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(parsed)}`)
  return parsed
}

/** Until the execution's end is stored (the live status says `completed` before `completed_at` is written). */
export async function waitEnded(base, id) {
  for (;;) {
    const execution = await api(base, 'GET', `/api/v1/executions/${id}`)
    if (execution.status !== 'running' && execution.completed_at !== null) return execution
    await sleep(250)
  }
}

export function pipelineYaml(name, {count, delayMs, concurrency}) {
  return `version: "1.0"
name: ${name}
routes:
  source:
    inbound: {queue: /queue/source}
    adapters:
      - type: fan_out
        config: {count: ${count}, field: n}
    outbound: [{queue: /queue/work}]
  work:
    inbound: {queue: /queue/work, concurrency: ${concurrency}}
    adapters:
      - type: delay
        config: {ms: ${delayMs}}
init_message: {route: source, payload: {}}
`
}

/** Runs a stored config to its end, optionally with SSE clients; the execution's duration and the clients' report. */
async function timedExecution(server, configId, clients) {
  const base = server.url
  const cpuBefore = await server.cpuMs()
  const execution = await api(base, 'POST', `/api/v1/configs/${configId}/run`)
  const report = clients > 0
    ? runProcess(process.execPath, [path.join(ROOT, 'bench/lib/sse-clients.js'), `${base}/api/v1/executions/${execution.id}/events`, String(clients)]).then(JSON.parse)
    : undefined
  const ended = await waitEnded(base, execution.id)
  if (ended.status !== 'completed') throw new Error(`execution ${execution.id} ended ${ended.status}`)
  const ms = Date.parse(ended.completed_at) - Date.parse(ended.started_at)
  const cpuAfter = await server.cpuMs()
  return {id: execution.id, ms, serverCpuMs: cpuBefore === undefined ? undefined : cpuAfter - cpuBefore, report: await report}
}

/** Every client got exactly the stored event ids, in order, the terminal one last. */
async function checkClients(base, id, report) {
  const stored = (await runProcess(process.execPath, [path.join(ROOT, 'bench/lib/sse-clients.js'), `${base}/api/v1/executions/${id}/events`, '1']).then(JSON.parse)).clients[0]
  const expected = stored.ids.join(',')
  const problems = []
  report.clients.forEach((client, index) => {
    if (client.error) problems.push(`client ${index}: ${client.error}`)
    else if (client.repeats > 0) problems.push(`client ${index}: ${client.repeats} repeated ids`)
    else if (!client.terminal_last) problems.push(`client ${index}: the last event is not terminal`)
    else if (client.ids.join(',') !== expected) problems.push(`client ${index}: ${client.ids.length} ids, not the ${stored.ids.length} stored`)
  })
  return {problems, events: stored.ids.length}
}

export async function run() {
  const figures = []

  if (PARTS.has('ready')) figures.push(await readyFigure())
  if (!PARTS.has('load') && !PARTS.has('fanout')) return figures
  const server = await startServer()
  try {
    if (PARTS.has('load')) figures.push(...await loadFigures(server))
    if (PARTS.has('fanout')) figures.push(...await fanoutFigures(server))
  } finally {
    await server.stop()
  }
  return figures
}

async function readyFigure() {
  // A first start fills the PGlite template cache, as any first use on a machine would.
  const warm = await startServer()
  await warm.stop()
  const ready = []
  const floor = []
  for (let i = 0; i < 3; i++) {
    const server = await startServer()
    ready.push(server.readyMs)
    await server.stop()
    floor.push(await databaseOnlyMs())
  }
  const readyMs = median(ready)
  const floorMs = median(floor)
  return {
    name: 'serve.ready_ms', value: Math.round(readyMs), unit: 'ms', baseline: 'open + migrate embedded PGlite alone (own process)',
    baseline_value: Math.round(floorMs), ratio: round(readyMs / floorMs, 2),
    note: `spawn to health 200 in an empty folder, median of 3 (${ready.map(Math.round).join(', ')} ms)`,
  }
}

async function loadFigures(server) {
  const figures = []
  const hello = await helloServer()
  try {
    const base = server.url
    const config = await api(base, 'POST', '/api/v1/configs', {name: 'bench-small', config_yaml: pipelineYaml('bench-small', {count: 3, delayMs: 1, concurrency: 2})})
    for (let i = 0; i < STORED_EXECUTIONS; i += 5) {
      const batch = await Promise.all(Array.from({length: 5}, () => api(base, 'POST', `/api/v1/configs/${config.id}/run`)))
      for (const execution of batch) await waitEnded(base, execution.id)
    }

    const helloLoad = await load(hello.url)
    const healthLoad = await load(`${base}/api/v1/system/health`)
    const listLoad = await load(`${base}/api/v1/executions?limit=100`)
    figures.push({
      name: 'api.health.rps', value: Math.round(healthLoad.rps), unit: 'req/s', baseline: 'bare @hono/node-server hello', baseline_value: Math.round(helloLoad.rps),
      ratio: round(healthLoad.rps / helloLoad.rps, 3), note: `autocannon -c ${LOAD_CONNECTIONS} -d ${LOAD_SECONDS}, p99 ${healthLoad.p99} ms (hello p99 ${helloLoad.p99} ms)`,
    })
    figures.push({
      name: 'api.executions_list.p99_ms', value: listLoad.p99, unit: 'ms', baseline: 'bare @hono/node-server hello p99', baseline_value: helloLoad.p99,
      ratio: round(listLoad.p99 / Math.max(helloLoad.p99, 1), 2),
      note: `GET /executions?limit=100 over ${STORED_EXECUTIONS + 0} stored executions, ${Math.round(listLoad.rps)} req/s, autocannon -c ${LOAD_CONNECTIONS} -d ${LOAD_SECONDS}`,
    })
  } finally {
    await hello.stop()
  }
  return figures
}

async function fanoutFigures(server) {
  const figures = []
  const base = server.url
  // sse.fanout: ~2000 messages of 10 ms through 2 workers ≈ 10 s.
  const slow = await api(base, 'POST', '/api/v1/configs', {name: 'bench-fanout', config_yaml: pipelineYaml('bench-fanout', {count: 2000, delayMs: 10, concurrency: 2})})
  const before = await timedExecution(server, slow.id, 0)
  const withClients = await timedExecution(server, slow.id, SSE_CLIENTS)
  const after = await timedExecution(server, slow.id, 0)
  const baselineMs = (before.ms + after.ms) / 2
  const {problems, events} = await checkClients(base, withClients.id, withClients.report)
  figures.push({
    name: 'sse.fanout', value: round(baselineMs / withClients.ms, 3), unit: 'ratio', baseline: 'the same execution with no client (before and after)',
    baseline_value: Math.round(baselineMs), ratio: round(baselineMs / withClients.ms, 3),
    note: `${SSE_CLIENTS} clients: ${withClients.ms} ms vs ${before.ms} / ${after.ms} ms without; ${events} events each; ` +
      (problems.length === 0 ? 'every client got every id once, in order, terminal last' : `PROBLEMS: ${problems.slice(0, 5).join('; ')}`) +
      `; server CPU ${withClients.serverCpuMs} ms with clients vs ${before.serverCpuMs} / ${after.serverCpuMs} ms without, clients' process CPU ${Math.round(withClients.report.cpu_ms)} ms; target >= 0.90`,
  })
  if (problems.length > 0) figures.push({name: 'sse.fanout.delivery', value: problems.length, unit: 'clients wrong', note: problems.slice(0, 10).join('; ')})
  return figures
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2))
}
