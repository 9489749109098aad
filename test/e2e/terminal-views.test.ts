import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, runCli} from '../helpers/cli.js'
import {fanOutFailYaml, slowFolderPipelineYaml} from '../helpers/file-read-pipeline.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'
import {HAS_TMUX, startTmux} from '../helpers/tmux.js'

/**
 * The Ink views of the thin client driven for real in a pseudo terminal (tmux): `execution watch`
 * follows a run to its end through a cut connection, and `lineage view` collapses and expands a
 * fan-out, jumps to the failed message and opens its artefact.
 */
const FILES = 6
if (!HAS_TMUX) {
  if (process.env.CI === 'true') throw new Error('tmux is missing: .ci/run must install it for the terminal-view tests')
  console.warn('terminal-view tests skipped: tmux is not installed (apt-get install -y tmux)')
}

describe.skipIf(!HAS_TMUX)('terminal views in a pseudo terminal (tmux)', () => {
  let work: string
  let served: Served
  const cli = (args: string[]) => runCli(args, {cwd: work, env: {FACTFLOW_SERVER_URL: served.url}, timeoutMs: 120_000})
  const create = async (file: string, name: string) => JSON.parse((await cli(['config', 'create', '-f', file, '--name', name, '--json'])).stdout).id as string

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-terminal-'))
    await mkdir(path.join(work, 'corpus'))
    for (let i = 0; i < FILES; i++) await writeFile(path.join(work, 'corpus', `doc-${i}.md`), `# Doc ${i}\n\nBody ${i}\n`)
    await writeFile(path.join(work, 'slow.yaml'), slowFolderPipelineYaml(path.join(work, 'corpus'), 2500))
    await writeFile(path.join(work, 'fan-out-fail.yaml'), fanOutFailYaml(path.join(work, 'corpus')))
    served = await startServe(work, {FACTFLOW_DB_WORKER_NICE: '0'})
  }, 180_000)
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  it('execution watch shows the live view to the end of a run, through a cut connection, then the summary and exit code', async () => {
    const id = await create('slow.yaml', 'slow')
    const proxy = await startTcpProxy({host: '127.0.0.1', port: Number(new URL(served.url).port)})
    const started = await cli(['config', 'run', id, '--tag', 'watched'])
    expect(started.code, started.stderr).toBe(0)
    const term = startTmux([process.execPath, BIN, 'execution', 'watch', 'watched'], {cwd: work, env: {FACTFLOW_SERVER_URL: `http://127.0.0.1:${proxy.port}`}})
    try {
      // The live view: a row per route while the run goes on.
      const live = await term.waitFor(/slow-folder[\s\S]*\bread\b/, 90_000)
      expect(live).toMatch(/· running ·/)
      await proxy.cut('now')
      await new Promise((resolve) => setTimeout(resolve, 1200))
      proxy.restore()
      const ended = await term.waitFor(/EXIT=\d+/, 120_000)
      expect(ended).toMatch(/EXIT=0/)
      expect(ended).toMatch(/status:\s+completed/)
      // Every event counted once across the reconnect: the final counters are the run's.
      expect(ended).toMatch(new RegExp(`read\\s+${FILES}\\s+${FILES}\\s+0\\s+0`))
      expect(proxy.connections).toBeGreaterThanOrEqual(2)
    } finally {
      term.close()
      await proxy.close()
    }
  }, 240_000)

  it('lineage view collapses and expands a fan-out, jumps to the failed message, opens its artefact and quits', async () => {
    const id = await create('fan-out-fail.yaml', 'fan-out-fail')
    const ran = await cli(['config', 'run', id, '--tag', 'fan', '--wait'])
    expect(ran.code, ran.stderr).toBe(3)
    const term = startTmux([process.execPath, BIN, 'lineage', 'view', '--execution', 'fan'], {cwd: work, env: {FACTFLOW_SERVER_URL: served.url}})
    const readLines = (screen: string) => screen.split('\n').filter((line) => /^[ ›] (├─|└─) +read /.test(line))
    try {
      let screen = await term.waitFor(/q quit/, 60_000)
      expect(screen).toMatch(/^› ▾ list \S+ {2}directory_lister:completed .*\(6 children, 1 failed below\)/m)
      expect(readLines(screen)).toHaveLength(FILES)
      term.keys('Left')
      screen = await term.waitFor(/^› ▸ list /m)
      expect(readLines(screen)).toHaveLength(0)
      term.keys('Right')
      screen = await term.waitFor(/^› ▾ list /m)
      expect(readLines(screen)).toHaveLength(FILES)

      term.keys('f')
      screen = await term.waitFor(/^› (├─|└─) +read .*fail:failed/m)
      expect(screen).toMatch(/✗ UserInputError \[INJECTED_FAILURE\]: injected failure/)
      // The row's artefacts load after the row is selected: wait for them rather than read the first frame.
      screen = await term.waitFor(/\[1\] executions\/\S+\/read\/file_reader\/\S+\.md \(16 B, text\/markdown\)/)
      term.keys('o')
      screen = await term.waitFor(/lines 1-\d+ of \d+/)
      expect(screen).toMatch(/^# Doc \d$/m)
      term.keys('q')
      await term.waitFor(/q quit/)
      term.keys('q')
      expect(await term.waitFor(/EXIT=\d+/)).toMatch(/EXIT=0/)
    } finally {
      term.close()
    }
  }, 180_000)
})
