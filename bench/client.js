// Thin-client start-up (issue 21). Needs the built code: `npm run build`, then `node bench/client.js`
// (prints the figures as JSON) or `npm run bench -- --only client`.
//
// - cli.client_start_ms: wall time of `factflow execution list --json` against a running embedded
//   server (spawn to exit, the server already up and holding a few executions), median of 9.
//   Baseline: `factflow --version` (answered by bin/run.js before oclif loads), median of 9, the
//   two interleaved so load on the machine hits both alike. Target: ratio <= 2.
//   The note gives the floor under any oclif command: a process that only imports oclif as the
//   commands load it (the bundle `npm run build` writes to dist/src/cli/oclif.js), and, for
//   comparison, one that imports the @oclif/core package from node_modules (~200 files).
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {api, pipelineYaml, startServer, waitEnded} from './server.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin/run.js')
const BUNDLE = pathToFileURL(path.join(ROOT, 'dist/src/cli/oclif.js')).href
const RUNS = Number(process.env.BENCH_CLIENT_RUNS ?? 9)
const EXECUTIONS = 5

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function timed(args, options = {}) {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, {cwd: ROOT, encoding: 'utf8', ...options})
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return {ms, stdout: result.stdout}
}

export async function run() {
  const server = await startServer()
  try {
    const env = {...process.env, FACTFLOW_SERVER_URL: server.url}
    // A few executions in the list, as a user would have.
    const config = await api(server.url, 'POST', '/api/v1/configs', {name: 'bench-client', config_yaml: pipelineYaml('bench-client', {count: 3, delayMs: 1, concurrency: 2})})
    for (let i = 0; i < EXECUTIONS; i++) await waitEnded(server.url, (await api(server.url, 'POST', `/api/v1/configs/${config.id}/run`)).id)
    const listed = JSON.parse(timed([BIN, 'execution', 'list', '--json'], {env}).stdout)
    if (listed.executions?.length !== EXECUTIONS) throw new Error(`execution list --json answered ${listed.executions?.length} executions, expected ${EXECUTIONS}`)
    timed([BIN, '--version'])
    const client = []
    const version = []
    const oclif = []
    const bundled = []
    for (let i = 0; i < RUNS; i++) {
      version.push(timed([BIN, '--version']).ms)
      client.push(timed([BIN, 'execution', 'list', '--json'], {env}).ms)
      bundled.push(timed(['--input-type=module', '-e', `await import(${JSON.stringify(BUNDLE)})`]).ms)
      oclif.push(timed(['--input-type=module', '-e', 'await import("@oclif/core")']).ms)
    }
    // The figure depends on the build's V8 code cache: say whether this node accepts it.
    const loader = pathToFileURL(path.join(ROOT, 'dist/src/cli/load-oclif-bundle.js')).href
    const codeCache = timed(['--input-type=module', '-e', `await import(${JSON.stringify(BUNDLE)}); console.log((await import(${JSON.stringify(loader)})).codeCache)`]).stdout.trim()
    const clientMs = median(client)
    const versionMs = median(version)
    return [{
      name: 'cli.client_start_ms', value: Math.round(clientMs), unit: 'ms',
      baseline: 'factflow --version', baseline_value: Math.round(versionMs), ratio: Number((clientMs / versionMs).toFixed(2)),
      note: `target ratio <= 2; oclif's code cache ${codeCache}; a process that only imports oclif: bundled ${Math.round(median(bundled))} ms, @oclif/core from node_modules ${Math.round(median(oclif))} ms (medians of ${RUNS})`,
    }]
  } finally {
    await server.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2))
}
