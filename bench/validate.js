// Validation and CLI start-up speed. Needs the built code: `npm run build`, then `node bench/validate.js`
// (prints the figures as JSON) or `npm run bench -- --only validate`.
//
// Figures (medians, measured in one process so ratios compare like with like):
// - validate.files_per_s: `factflow config validate DIR` over 200 generated pipeline files (3-5
//   routes each, a few with issues), median of 3 runs, start-up included. Baseline: in-process
//   validation of the same files (read + validate, no process start); ratio = cli / in-process.
//   Target: 200 files in under 2 s.
// - cli.version_ms: `factflow --version` wall time, median of 5. Baseline: `node -e 0`.
//   Target: under 300 ms.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {validatePipelineText} from '../dist/src/config/load-pipeline.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin/run.js')
const FILES = 200

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function timeProcess(args, runs) {
  const times = []
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    const result = spawnSync(process.execPath, args, {cwd: ROOT, encoding: 'utf8'})
    times.push(performance.now() - started)
    if (result.error) throw result.error
  }
  return median(times)
}

/** A realistic pipeline: a chain of routes with adapters, conditions and configs; every 10th has issues. */
function pipelineText(index) {
  const routes = 3 + (index % 3)
  const lines = [
    'version: "1.0"',
    `name: bench-${index}`,
    'error_handling: { max_retries: 3, dead_letter_queue: /queue/dlq }',
    'routes:',
  ]
  for (let route = 0; route < routes; route++) {
    lines.push(
      `  r${route}:`,
      `    name: Route ${route}`,
      `    inbound: { queue: /queue/r${route}.in, concurrency: 4, prefetch: 8 }`,
      '    adapters:',
      '      - type: web_scraper',
      `        config: { timeout: ${10 + route}, follow_redirects: true, headers: { Accept: text/html } }`,
      '        condition: { field: url, operator: matches, value: "^https://" }',
      '      - type: smart_segmenter',
      `        config: { max_tokens: 512, min_tokens: 64, overlap_tokens: 32${index % 10 === 0 ? ', max_token: 5' : ''} }`,
      `      - type: ${index % 10 === 0 && route === 0 ? 'web_scrapper' : 'embedding_generator'}`,
      '        config: { provider: local, batch_size: 32 }',
    )
    if (route < routes - 1) {
      lines.push('    outbound:', `      - queue: /queue/r${route + 1}.in`, '        condition: { all: [ { field: status, operator: in, value: [200, 203] } ] }')
    }
  }
  lines.push('init_message:', '  route: r0', '  payload: { sitemap_url: "https://example.com/sitemap.xml" }', '')
  return lines.join('\n')
}

export async function run() {
  const dir = mkdtempSync(path.join(tmpdir(), 'factflow-bench-validate-'))
  try {
    const files = []
    for (let index = 0; index < FILES; index++) {
      const file = path.join(dir, `pipeline-${String(index).padStart(3, '0')}.yaml`)
      writeFileSync(file, pipelineText(index))
      files.push(file)
    }
    const inProcessRuns = []
    for (let run = 0; run < 5; run++) {
      const started = performance.now()
      for (const file of files) validatePipelineText(readFileSync(file, 'utf8'), {env: {}, fileName: file})
      inProcessRuns.push(performance.now() - started)
    }
    const inProcessMs = median(inProcessRuns)
    const cliMs = timeProcess([BIN, 'config', 'validate', dir, '--json'], 3)
    const versionMs = timeProcess([BIN, '--version'], 5)
    const nodeMs = timeProcess(['-e', '0'], 5)
    const cliPerS = FILES / (cliMs / 1000)
    const inProcessPerS = FILES / (inProcessMs / 1000)
    return [
      {
        name: 'validate.files_per_s', value: Math.round(cliPerS), unit: 'files/s',
        baseline: 'in-process validation', baseline_value: Math.round(inProcessPerS), ratio: Number((cliPerS / inProcessPerS).toFixed(3)),
        note: `${FILES} files: cli ${Math.round(cliMs)} ms (target < 2000 ms), in-process ${Math.round(inProcessMs)} ms`,
      },
      {
        name: 'cli.version_ms', value: Math.round(versionMs), unit: 'ms',
        baseline: 'node -e 0', baseline_value: Math.round(nodeMs), ratio: Number((versionMs / nodeMs).toFixed(2)),
        note: 'target < 300 ms',
      },
    ]
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2))
}
