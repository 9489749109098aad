// Runs one node program as its own process and measures it from the outside: wall time from spawn
// to exit, the process's own peak RSS (VmHWM at exit, through peak-rss-at-exit.js), the peak RSS of
// the process and the children it waited for (/usr/bin/time's %M, from wait4: it includes, e.g.,
// factflow's short-lived database creator), and its resident set sampled over time.
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const PRELOAD = pathToFileURL(fileURLToPath(new URL('./peak-rss-at-exit.js', import.meta.url))).href
const TIME = '/usr/bin/time'

const readStatus = async (pid) => readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
const field = (status, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status ?? '')?.[1] ?? Number.NaN)

async function childPid(parent) {
  const text = await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8').catch(() => '')
  const first = text.trim().split(/\s+/)[0]
  return first ? Number(first) : undefined
}

/**
 * `node [--import peak-rss-at-exit] script ...args` in `cwd` with `env` added. Resolves to
 * `{code, seconds, stdout, stderr, peak_self_mb, peak_tree_mb, samples: [{t, rss_mb}]}`; `t` is
 * seconds since spawn, `samples` every `sampleMs` (0: none), `peak_tree_mb` null without /usr/bin/time.
 */
export async function measureNodeProcess(script, args, {cwd, env = {}, sampleMs = 0, timeoutMs = 3_600_000} = {}) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-measure-'))
  const peakFile = path.join(scratch, 'peak.json')
  const timeFile = path.join(scratch, 'time.txt')
  const useTime = existsSync(TIME)
  const nodeArgs = ['--import', PRELOAD, script, ...args]
  const [command, commandArgs] = useTime
    ? [TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs]
  try {
    const started = performance.now()
    const child = spawn(command, commandArgs, {cwd, env: {...process.env, ...env, FACTFLOW_BENCH_PEAK_FILE: peakFile}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const samples = []
    let nodePid = useTime ? undefined : child.pid
    let sampling = false
    const sampler = sampleMs > 0
      ? setInterval(async () => {
        if (sampling) return
        sampling = true
        try {
          nodePid ??= await childPid(child.pid)
          if (nodePid === undefined) return
          const rss = field(await readStatus(nodePid), 'VmRSS')
          if (Number.isFinite(rss)) samples.push({t: (performance.now() - started) / 1000, rss_mb: Math.round(rss / 1024)})
        } finally {
          sampling = false
        }
      }, sampleMs)
      : undefined
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    const code = await new Promise((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (exitCode, signal) => resolve(exitCode ?? signal))
    })
    const seconds = (performance.now() - started) / 1000
    clearTimeout(timer)
    if (sampler) clearInterval(sampler)
    const self = JSON.parse(await readFile(peakFile, 'utf8').catch(() => '{}'))
    const tree = useTime ? Number((await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').pop()) : Number.NaN
    return {
      code, seconds, stdout, stderr, samples,
      peak_self_mb: self.vmhwm_kb === undefined ? null : Math.round(self.vmhwm_kb / 102.4) / 10,
      peak_tree_mb: Number.isFinite(tree) ? Math.round(tree / 102.4) / 10 : null,
    }
  } finally {
    await rm(scratch, {recursive: true, force: true})
  }
}

/** RSS (MB) at each fraction of the run's time, from `samples` (the nearest sample at or after). */
export function rssAtFractions(samples, seconds, fractions = [0.1, 0.25, 0.5, 0.75, 0.9]) {
  const out = {}
  for (const fraction of fractions) {
    const sample = samples.find((s) => s.t >= fraction * seconds) ?? samples.at(-1)
    out[`${Math.round(fraction * 100)}%`] = sample?.rss_mb ?? null
  }
  return out
}
