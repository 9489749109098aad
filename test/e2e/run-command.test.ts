import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {v7 as uuidv7} from 'uuid'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {currentProcessIdentity, formatProcessIdentity} from '../../src/os/process-identity.js'
import {PROJECT_ROOT, runCli} from '../helpers/cli.js'

const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/local-folder-to-storage.yaml')
let work: string

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-e2e-'))
  await mkdir(path.join(work, 'corpus', 'nested'), {recursive: true})
  await writeFile(path.join(work, 'corpus', 'a.md'), '# A\n\nalpha\n')
  await writeFile(path.join(work, 'corpus', 'b.txt'), 'beta\n')
  await writeFile(path.join(work, 'corpus', 'nested', 'c.html'), '<h1>C</h1>')
  await writeFile(path.join(work, 'corpus', 'skip.bin'), 'ignored by the include glob')
})
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
})

describe('factflow run (built binary)', () => {
  it('runs the shipped local-folder pipeline: exit 0, a JSON summary, artefacts in storage and lineage in the embedded database', async () => {
    const result = await runCli(['run', PIPELINE, '--json', '--set', `path=${path.join(work, 'corpus')}`], {cwd: work, timeoutMs: 120_000})
    expect(result.stderr).not.toMatch(/Error/)
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary).toMatchObject({
      status: 'completed',
      pipeline: 'local-folder-to-storage',
      routes: {
        list: {received: 1, completed: 1, failed: 0, dead_lettered: 0, unchanged: 0, embedded: 0, elements: 3, elements_done: 3, elements_failed: 0},
        read: {received: 3, completed: 3, dead_lettered: 0},
        load: {received: 3, completed: 3},
      },
      messages: {total: 7, completed: 7, failed: 0, dead_lettered: 0},
      database: {location: './output/db', lineage_rows: 7, lineage_dropped: 0},
    })
    expect(summary.execution_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(summary.duration_ms).toBeGreaterThanOrEqual(0)

    // Artefacts: one object per file under the key convention, each with its sidecar metadata.
    const storageRoot = path.join(work, 'output', 'storage')
    const prefix = path.join(storageRoot, 'executions', summary.execution_id, 'read', 'file_reader')
    const {readdir} = await import('node:fs/promises')
    const files = (await readdir(prefix)).sort()
    expect(files.filter((f) => !f.endsWith('.meta.json'))).toHaveLength(3)
    const meta = JSON.parse(await readFile(path.join(prefix, files.find((f) => f.endsWith('.md.meta.json'))!), 'utf8'))
    expect(meta).toMatchObject({content_type: 'text/markdown', execution_id: summary.execution_id, route_id: 'read', stage: 'file_reader'})

    // Lineage and the execution row, in the embedded database the run wrote.
    const db = await openDatabase(path.join(work, 'output', 'db'), {pgliteWorker: false})
    try {
      const {rows: lineage} = await db.query<{route_id: string; stage_status: string; n: number}>(
        'SELECT route_id, stage_status, count(*)::int AS n FROM lineage WHERE execution_id = $1 GROUP BY 1, 2 ORDER BY 1',
        [summary.execution_id])
      expect(lineage).toEqual([
        {route_id: 'list', stage_status: 'completed', n: 1},
        {route_id: 'load', stage_status: 'completed', n: 3},
        {route_id: 'read', stage_status: 'completed', n: 3},
      ])
      const {rows: [execution]} = await db.query<{status: string; summary: {messages: {completed: number}}}>(
        'SELECT status, summary FROM executions WHERE id = $1', [summary.execution_id])
      expect(execution).toMatchObject({status: 'completed', summary: {messages: {completed: 7}}})
    } finally {
      await db.close()
    }
  }, 180_000)

  it('prints a human summary and progress lines on stderr without a TTY', async () => {
    const result = await runCli(['run', PIPELINE, '--no-lineage', '--set', `path=${path.join(work, 'corpus')}`, '--storage', `file://${work}/plain-storage`], {cwd: work})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/local-folder-to-storage: completed/)
    expect(result.stdout).toMatch(/read\s+3\s+3/)
    expect(result.stderr).toMatch(/execution [0-9a-f-]{36}/)
  })

  it('exits 3 when messages were dead-lettered, naming the failure', async () => {
    const file = path.join(work, 'poison.yaml')
    await writeFile(file, `version: "1.0"
error_handling: {max_retries: 0, dead_letter_queue: /queue/dlq}
routes:
  a:
    inbound: {queue: /queue/a}
    adapters:
      - type: fan_out
        config: {count: 3, field: n}
    outbound: [{queue: /queue/b}]
  b:
    inbound: {queue: /queue/b}
    adapters:
      - type: fail
        id: poison
        condition: {field: n, operator: equals, value: 1}
        config: {retryable: false, message: "bad page"}
init_message: {route: a, payload: {}}
`)
    const result = await runCli(['run', file, '--json', '--database', 'memory://', '--storage', `file://${work}/poison-storage`], {cwd: work})
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout)
    expect(summary.messages).toEqual({total: 4, completed: 3, failed: 1, dead_lettered: 1})
    expect(summary.failures).toEqual([{route: 'b', stage: 'poison', attempts: 1, error: 'bad page', code: 'INJECTED_FAILURE'}])
  })

  it('still completes when the lineage database cannot be reached, and says so', async () => {
    const result = await runCli(['run', PIPELINE, '--json', '--set', `path=${path.join(work, 'corpus')}`,
      '--database', 'postgres://postgres@127.0.0.1:1/none', '--storage', `file://${work}/nodb-storage`], {cwd: work})
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary.status).toBe('completed')
    expect(summary.database.error).toBeTruthy()
    expect(summary.database.lineage_dropped).toBe(7)
  })

  it('turns a record a killed run left pending into an interrupted execution, and leaves the record of a process still running', async () => {
    const cwd = await mkdtemp(path.join(work, 'pending-'))
    const pendingDir = path.join(cwd, 'output', 'db.pending-executions')
    await mkdir(pendingDir, {recursive: true})
    const record = (id: string, owner: string, tag: string | null) => ({
      id, config_name: 'local-folder-to-storage', config_snapshot: {name: 'local-folder-to-storage', routes: {}}, tag,
      metadata: {run_host: os.hostname(), run_owner: owner, init_payload: {}},
    })
    // Pid 999999 with another start time: gone. This test's own process: alive.
    const [killed, alive] = [uuidv7(), uuidv7()]
    await writeFile(path.join(pendingDir, `${killed}.json`), JSON.stringify(record(killed, '999999@1', 'nightly')))
    await writeFile(path.join(pendingDir, `${alive}.json`), JSON.stringify(record(alive, formatProcessIdentity(currentProcessIdentity()), null)))
    // This run takes the killed run's tag: the recovered row gives it up.
    const result = await runCli(['run', PIPELINE, '--json', '--tag', 'nightly', '--set', `path=${path.join(work, 'corpus')}`], {cwd, env: {FACTFLOW_FILES_ROOT: work}})
    expect(result.code, result.stdout).toBe(0)
    const {execution_id: ownId} = JSON.parse(result.stdout) as {execution_id: string}
    const db = await openDatabase(path.join(cwd, 'output', 'db'), {pgliteWorker: false})
    try {
      const {rows} = await db.query<{id: string; status: string; tag: string | null}>('SELECT id::text, status, tag FROM executions ORDER BY id')
      expect(rows).toEqual([{id: killed, status: 'interrupted', tag: null}, {id: ownId, status: 'completed', tag: 'nightly'}].sort((a, b) => a.id.localeCompare(b.id)))
    } finally {
      await db.close()
    }
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(pendingDir)).toEqual([`${alive}.json`])
  })

  it('still completes when the embedded database cannot be made where --database points (a file in the way), and says so', async () => {
    const cwd = await mkdtemp(path.join(work, 'blocked-'))
    await writeFile(path.join(cwd, 'afile'), 'not a folder')
    const result = await runCli(['run', PIPELINE, '--json', '--set', `path=${path.join(work, 'corpus')}`, '--database', './afile/db'], {cwd})
    // As with a database it cannot reach: the run goes on, what needs the database is dead-lettered (exit 3).
    expect(result.code, result.stderr).toBe(3)
    const summary = JSON.parse(result.stdout)
    expect(summary.status).toBe('completed')
    expect(summary.database.error).toMatch(/Cannot open the embedded database/)
  })

  it.each([
    ['a missing file', ['run', 'nope.yaml'], /PIPELINE_NOT_FOUND/],
    ['malformed --set', ['run', PIPELINE, '--set', 'novalue'], /SET_INVALID/],
    ['bad --init-payload', ['run', PIPELINE, '--init-payload', '{oops'], /INIT_PAYLOAD_INVALID/],
    ['a bad --timeout', ['run', PIPELINE, '--timeout', 'soon'], /DURATION_INVALID/],
    ['an unknown queue URL', ['run', PIPELINE, '--queue', 'carrier-pigeon://x'], /QUEUE_URL_INVALID/],
  ])('exits 2 with a coded error for %s, writing nothing', async (_name, args, code) => {
    const cwd = await mkdtemp(path.join(work, 'bad-'))
    const result = await runCli(args, {cwd})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(code)
    expect(result.stderr).toMatch(/Hint:/)
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(cwd)).toEqual([])
  })

  it('exits 4 before doing any work when another process holds the embedded database', async () => {
    const cwd = await mkdtemp(path.join(work, 'locked-'))
    await mkdir(path.join(cwd, 'output'))
    // This test process is alive: its pid in the lock file makes the directory busy.
    await writeFile(path.join(cwd, 'output', 'db.lock'), String(process.pid))
    const result = await runCli(['run', PIPELINE, '--set', `path=${path.join(work, 'corpus')}`], {cwd})
    expect(result.code).toBe(4)
    expect(result.stderr).toMatch(/DATABASE_IN_USE/)
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(path.join(cwd, 'output'))).toEqual(['db.lock'])
  })

  describe('on an embedded database an earlier run created (opened while the run starts)', () => {
    let cwd: string
    beforeAll(async () => {
      cwd = await mkdtemp(path.join(work, 'existing-'))
      await mkdir(path.join(cwd, 'docs'))
      await writeFile(path.join(cwd, 'docs', 'a.md'), '# A\n\nAlpha.\n')
      const first = await runCli(['run', PIPELINE, '--set', 'path=./docs'], {cwd})
      expect(first.code, first.stderr).toBe(0)
    })

    it('stops at an invalid pipeline with its validation error, and closes the database it had started to open', async () => {
      await writeFile(path.join(cwd, 'broken.yaml'), 'version: "1.0"\nroutes:\n  a:\n    inbound: {queue: /queue/a}\n    adapters: [{type: no_such_adapter}]\ninit_message: {route: a}\n')
      const result = await runCli(['run', 'broken.yaml'], {cwd, env: {FACTFLOW_LOG_LEVEL: 'debug'}})
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(/no_such_adapter/)
      // It had been opened (and migrated) before the pipeline was read...
      expect(result.stderr).toMatch(/"msg":"database open"/)
      // ...and was closed: its lock is gone, and the next run opens it.
      const {readdir} = await import('node:fs/promises')
      expect(await readdir(path.join(cwd, 'output'))).not.toContain('db.lock')
      const next = await runCli(['run', PIPELINE, '--json', '--set', 'path=./docs'], {cwd})
      expect(next.code, next.stderr).toBe(0)
      expect(JSON.parse(next.stdout).status).toBe('completed')
    })

    it('exits 4 when another process holds it, leaving its lock alone', async () => {
      await writeFile(path.join(cwd, 'output', 'db.lock'), String(process.pid))
      try {
        const result = await runCli(['run', PIPELINE, '--set', 'path=./docs'], {cwd})
        expect(result.code, result.stderr).toBe(4)
        expect(result.stderr).toMatch(/DATABASE_IN_USE/)
        expect(await readFile(path.join(cwd, 'output', 'db.lock'), 'utf8')).toBe(String(process.pid))
      } finally {
        await rm(path.join(cwd, 'output', 'db.lock'), {force: true})
      }
    })
  })

  it('exits 2 before doing any work when --database names a folder of other files', async () => {
    const cwd = await mkdtemp(path.join(work, 'occupied-'))
    await mkdir(path.join(cwd, 'notes'))
    await writeFile(path.join(cwd, 'notes', 'todo.txt'), 'mine')
    const result = await runCli(['run', PIPELINE, '--database', './notes', '--set', `path=${path.join(work, 'corpus')}`], {cwd})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/DATABASE_OPEN_FAILED/)
    expect(result.stderr).toMatch(/holds files but no embedded database/)
    const {readdir} = await import('node:fs/promises')
    expect((await readdir(cwd)).sort()).toEqual(['notes'])
    expect(await readdir(path.join(cwd, 'notes'))).toEqual(['todo.txt'])
  })

  it('with a database it cannot reach, dead-letters what needs it at once and finishes with exit 3 and the reason', async () => {
    const cwd = await mkdtemp(path.join(work, 'unreachable-'))
    const started = Date.now()
    const result = await runCli(['run', path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml'), '--json',
      '--set', `path=${path.join(work, 'corpus')}`, '--database', 'postgres://factflow@127.0.0.1:1/none'], {cwd, timeoutMs: 120_000, env: {FACTFLOW_FILES_ROOT: work}})
    // Before, the embedding messages waited behind the open circuit until the process exited (code 13).
    expect(result.code).toBe(3)
    expect(Date.now() - started).toBeLessThan(60_000)
    const summary = JSON.parse(result.stdout) as {
      status: string; routes: Record<string, {dead_lettered: number; completed: number}>
      failures: Array<{code?: string; attempts: number; error: string}>; database: {error?: string; lineage_rows: number}
    }
    expect(summary.status).toBe('completed')
    expect(summary.routes.embed!.completed).toBe(0)
    expect(summary.routes.embed!.dead_lettered).toBeGreaterThan(0)
    expect(summary.failures[0]).toMatchObject({code: 'DATABASE_UNAVAILABLE', attempts: 1, error: expect.stringContaining('could not be opened')})
    expect(summary.database.error).toMatch(/Cannot reach the database/)
    expect(summary.database.lineage_rows).toBe(0)
  })

  it('reads no folder outside the working directory (the default files root) unless FACTFLOW_FILES_ROOT moves it', async () => {
    const cwd = await mkdtemp(path.join(work, 'rooted-'))
    const refused = await runCli(['run', PIPELINE, '--json', '--no-lineage', '--database', 'memory://', '--set', `path=${path.join(work, 'corpus')}`], {cwd, timeoutMs: 120_000})
    expect(refused.code).toBe(3)
    const summary = JSON.parse(refused.stdout) as {failures: Array<{code?: string; error: string}>}
    expect(summary.failures[0]).toMatchObject({code: 'FILE_OUTSIDE_ROOT', error: expect.stringContaining('outside the files root')})
    const allowed = await runCli(['run', PIPELINE, '--json', '--no-lineage', '--database', 'memory://', '--set', `path=${path.join(work, 'corpus')}`],
      {cwd, timeoutMs: 120_000, env: {FACTFLOW_FILES_ROOT: work}})
    expect(allowed.code).toBe(0)
  }, 240_000)

  it('exits 2 before doing any work when FACTFLOW_DB_WORKER_NICE is not a priority', async () => {
    const cwd = await mkdtemp(path.join(work, 'nice-'))
    const result = await runCli(['run', PIPELINE, '--set', `path=${path.join(work, 'corpus')}`],
      {cwd, env: {FACTFLOW_DB_WORKER_NICE: 'low'}})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/SETTINGS_INVALID/)
    expect(result.stderr).toMatch(/FACTFLOW_DB_WORKER_NICE must be a whole number from 0 to 19/)
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(cwd)).toEqual([])
  })

  it('refuses an invalid pipeline with the validator report and exit 2', async () => {
    const file = path.join(work, 'invalid.yaml')
    await writeFile(file, 'version: "1.0"\nroutes:\n  a:\n    inbound: {queue: /queue/a}\n    adapters:\n      - type: web_scrapper\ninit_message: {route: a}\n')
    const result = await runCli(['run', file], {cwd: work})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/E103/)
    expect(result.stderr).toMatch(/web_scraper/)
  })
})
