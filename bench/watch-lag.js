// Live-view lag of the thin client (issue 21). Needs the built code: `npm run build`, then
// `node bench/watch-lag.js` (prints the figures as JSON) or `npm run bench -- --only watch-lag`.
//
// - watch.lag_ms: time from an event on the server (its `timestamp`, stamped when the server's event
//   log appends it) to the first frame of `factflow execution watch ID` that shows its effect, during
//   one execution of `fan_out` + `delay` producing BENCH_WATCH_MESSAGES (default 50,000) messages on
//   `factflow serve --embedded`. The watch is the built binary in a pseudo terminal (util-linux
//   `script -qf`, 120×40), so the frames are Ink's real writes to a terminal; the bench reads the
//   terminal's output as it comes and stamps each frame on arrival (same clock as the server: one
//   machine). An event is sampled when its effect is unambiguous: each `stats` event whose `work`
//   DONE count is higher than the previous one's (a frame showing DONE >= that count shows it), and
//   the terminal event (a frame showing the status `completed`). value: p50; the note gives p95, max.
//   Baseline, same run: a raw SSE client (a plain fetch reader, splitting blocks and reading the
//   timestamp) following the same execution, lag from event timestamp to receipt; the ratio says what
//   the client's parsing, model and Ink rendering add over the wire.
// - watch.lag_p95_ms: the same samples' p95 against the raw client's p95.
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {startServer} from './server.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin/run.js')
const MESSAGES = Number(process.env.BENCH_WATCH_MESSAGES ?? 50_000)
const TERMINAL = new Set(['execution.completed', 'execution.failed', 'execution.cancelled', 'execution.interrupted'])

const now = () => performance.timeOrigin + performance.now()
const round = (value, digits = 0) => Number(value.toFixed(digits))
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

const pipelineYaml = (count) => `version: "1.0"
name: bench-watch-lag
routes:
  source:
    inbound: {queue: /queue/source}
    adapters:
      - type: fan_out
        config: {count: ${count}, field: n}
    outbound: [{queue: /queue/work}]
  work:
    inbound: {queue: /queue/work, concurrency: 8}
    adapters:
      - type: delay
        config: {ms: 0}
init_message: {route: source, payload: {}}
`

async function api(base, method, url, body) {
  const response = await fetch(`${base}/api/v1${url}`, {method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)})
  const parsed = await response.json().catch(() => null)
  if (response.status >= 400) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(parsed)}`)
  return parsed
}

/** The baseline: a plain fetch reader of the execution's SSE stream; each event with its receipt time. */
async function rawClient(base, id) {
  const response = await fetch(`${base}/api/v1/executions/${id}/events`, {headers: {accept: 'text/event-stream'}})
  if (!response.ok) throw new Error(`raw SSE client: status ${response.status}`)
  const decoder = new TextDecoder()
  const events = []
  let buffer = ''
  const reader = response.body.getReader()
  for (;;) {
    const {value, done} = await reader.read()
    if (done) break
    const at = now()
    buffer += decoder.decode(value, {stream: true})
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      let data = ''
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data += line.slice(5)
      }
      if (!data) continue
      const parsed = JSON.parse(data)
      events.push({event, at, timestamp: Date.parse(parsed.timestamp), data: parsed})
      if (TERMINAL.has(event)) {
        await reader.cancel()
        return events
      }
    }
  }
  return events
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B(?:\[[0-9;?]*[ -/]*[@-~]|\][^\u0007]*\u0007|[@-Z\\-_])/g
// The `work` row: ROUTE RECEIVED DONE FAILED DLQ IN-FLIGHT RATE/S, the last number complete.
const WORK_ROW = /work\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(?=\D)/g
const STATUS = /· (running|starting|completed|failed|cancelled|interrupted) ·/g

/**
 * `factflow execution watch ID` (the built binary) in a pseudo terminal; the frames' (work DONE,
 * status) as they arrive, each stamped with its arrival time.
 */
function watchInPty(url, id) {
  return new Promise((resolve, reject) => {
    const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} execution watch ${id}`
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
      env: {...process.env, FACTFLOW_SERVER_URL: url, TERM: 'xterm-256color', FORCE_COLOR: '1'},
    })
    const frames = []
    let buffer = ''
    let bytes = 0
    let writes = 0
    let stderr = ''
    let raw = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      const at = now()
      bytes += chunk.length
      if (process.env.BENCH_WATCH_DUMP) raw += chunk
      writes++
      buffer += chunk.replace(ANSI, '')
      let consumed = 0
      for (const match of buffer.matchAll(WORK_ROW)) {
        frames.push({at, done: Number(match[2])})
        consumed = match.index + match[0].length
      }
      for (const match of buffer.matchAll(STATUS)) frames.push({at, status: match[1]})
      // Keep an unfinished row for the next chunk.
      buffer = buffer.slice(Math.max(consumed, buffer.length - 400))
    })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (process.env.BENCH_WATCH_DUMP) writeFileSync(process.env.BENCH_WATCH_DUMP, raw)
      resolve({code, frames, bytes, writes, stderr})
    })
  })
}

export async function run() {
  const server = await startServer()
  try {
    const config = await api(server.url, 'POST', '/configs', {name: 'bench-watch-lag', config_yaml: pipelineYaml(MESSAGES)})
    const execution = await api(server.url, 'POST', `/configs/${config.id}/run`)
    const started = now()
    const [raw, watch] = await Promise.all([rawClient(server.url, execution.id), watchInPty(server.url, execution.id)])
    const seconds = (now() - started) / 1000
    if (watch.code !== 0) throw new Error(`execution watch exited ${watch.code}: ${watch.stderr.slice(-2000)}`)

    // Only events the watch saw live: it attaches a few seconds after the raw client (process
    // start) and is replayed what came before in one burst; its first frame with counters is drawn
    // from that burst, and events from then on reach it live.
    const firstFrame = watch.frames.find((f) => f.done !== undefined)?.at ?? Infinity
    const samples = []
    let previousDone = -1
    for (const event of raw) {
      if (event.event === 'stats') {
        const done = event.data.routes?.work?.completed ?? 0
        if (done > previousDone && event.timestamp >= firstFrame) {
          const frame = watch.frames.find((f) => f.done !== undefined && f.done >= done && f.at >= event.timestamp)
          samples.push({event, frame})
        }
        previousDone = Math.max(previousDone, done)
      } else if (TERMINAL.has(event.event)) {
        const frame = watch.frames.find((f) => f.status === event.data.status && f.at >= event.timestamp)
        samples.push({event, frame})
      }
    }
    const missing = samples.filter((s) => !s.frame)
    if (samples.length === 0) throw new Error('no event to sample: the watch showed no frame while the run went on')
    const shown = samples.filter((s) => s.frame)
    if (shown.length === 0) throw new Error(`none of ${samples.length} sampled events showed in a frame`)
    const lag = shown.map((s) => s.frame.at - s.event.timestamp)
    // The same events as they reached the raw client.
    const rawLag = shown.map((s) => s.event.at - s.event.timestamp)
    const stats = (values) => ({p50: quantile(values, 0.5), p95: quantile(values, 0.95), max: Math.max(...values)})
    const view = stats(lag)
    const wire = stats(rawLag)
    const terminal = samples.at(-1)
    const terminalText = terminal.frame ? `${round(terminal.frame.at - terminal.event.timestamp)} ms` : 'NEVER SHOWN'
    const note = `p50 ${round(view.p50)} / p95 ${round(view.p95)} / max ${round(view.max)} ms over ${shown.length} sampled events ` +
      `(terminal ${terminalText}); raw SSE client p50 ${round(wire.p50, 1)} / p95 ${round(wire.p95, 1)} / max ${round(wire.max, 1)} ms over the same events; ` +
      `${MESSAGES} messages in ${round(seconds, 1)} s; the view wrote ${watch.writes} chunks (${Math.round(watch.bytes / 1024)} KiB) to its terminal`
    const figures = [
      {
        name: 'watch.lag_ms', value: round(view.p50), unit: 'ms', baseline: 'raw SSE client (fetch reader) p50, same run',
        baseline_value: round(wire.p50, 1), ratio: round(view.p50 / Math.max(wire.p50, 1), 1), note,
      },
      {
        name: 'watch.lag_p95_ms', value: round(view.p95), unit: 'ms', baseline: 'raw SSE client (fetch reader) p95, same run',
        baseline_value: round(wire.p95, 1), ratio: round(view.p95 / Math.max(wire.p95, 1), 1),
      },
    ]
    if (missing.length > 0) {
      figures.push({
        name: 'watch.lag.never_shown', value: missing.length, unit: 'events',
        note: `of ${samples.length} sampled events, never shown in a frame: ` +
          missing.slice(0, 5).map((m) => m.event.event === 'stats' ? `stats work DONE ${m.event.data.routes.work.completed}` : m.event.event).join('; '),
      })
    }
    return figures
  } finally {
    await server.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2))
}
