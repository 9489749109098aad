import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {slowFolderPipelineYaml} from '../helpers/file-read-pipeline.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'

/**
 * The thin client (docs/reference/cli.md, "Client commands") as a user runs it: the built binary against a
 * real `factflow serve --embedded` started in the test — output, `--json` shapes and exit codes,
 * and an `execution watch` that survives its connection being cut mid-run.
 */
const FILES = 12

describe('client commands against a real server', () => {
  let work: string
  let served: Served
  const cli = (args: string[], options: {env?: Record<string, string>; input?: string} = {}) =>
    runCli([...args], {cwd: work, env: {FACTFLOW_SERVER_URL: served.url, ...options.env}, input: options.input, timeoutMs: 120_000})
  const json = async (args: string[]) => {
    const result = await cli([...args, '--json'])
    try {
      return {...result, body: JSON.parse(result.stdout)}
    } catch {
      throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`)
    }
  }

  const pipeline = (delayMs: number) => slowFolderPipelineYaml(path.join(work, 'corpus'), delayMs)

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-client-'))
    await mkdir(path.join(work, 'corpus'))
    for (let i = 0; i < FILES; i++) await writeFile(path.join(work, 'corpus', `doc-${i}.md`), `# Doc ${i}\n\nBody ${i}\n`)
    await writeFile(path.join(work, 'fast.yaml'), pipeline(5))
    await writeFile(path.join(work, 'slow.yaml'), pipeline(400))
    await mkdir(path.join(work, 'docs'))
    await writeFile(path.join(work, 'docs', 'dead-letters.md'), '# Dead letters\n\nA message that fails after its last retry is kept in the dead-letter queue with its error, so nothing is lost.\n\n## Redrive\n\nRedrive a dead letter to send it back to its route once the fault is fixed.\n')
    await writeFile(path.join(work, 'docs', 'caching.md'), '# Caching\n\nUnchanged pages are answered with 304 Not Modified and cost no conversion.\n')
    await writeFile(path.join(work, 'broken.yaml'), 'version: "1.0"\nroutes:\n  a:\n    adapters:\n      - type: no_such_adapter\n')
    served = await startServe(work)
  }, 180_000)
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  it('stores, lists and runs a config, waits with the execution\'s exit code, and reads it back by tag', async () => {
    const health = await cli(['system', 'health'])
    expect(health.code).toBe(0)
    expect(health.stdout).toMatch(/: (healthy|degraded) \(factflow /)
    expect(health.stdout).toMatch(/database\s+(healthy|degraded)/)

    const created = await json(['config', 'create', '-f', 'fast.yaml', '--name', 'folder'])
    expect(created.code).toBe(0)
    expect(created.body).toMatchObject({name: 'folder', is_runnable: true, version: 1})
    const id = created.body.id as string

    const listed = await cli(['config', 'list'])
    expect(listed.stdout).toMatch(new RegExp(`^ID\\s+NAME\\s+VERSION\\s+ACTIVE\\s+VALID\\s+UPDATED\\n${id}\\s+folder\\s+1\\s+yes\\s+yes`, 'm'))

    const ran = await cli(['config', 'run', id, '--tag', 'first', '--wait'])
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/status:\s+completed/)
    expect(ran.stdout).toMatch(new RegExp(`read\\s+${FILES}\\s+${FILES}\\s+0\\s+0`))

    const got = await json(['execution', 'get', 'first'])
    expect(got.body).toMatchObject({tag: 'first', status: 'completed', config_id: id})
    const list = await json(['execution', 'list', '--status', 'completed'])
    expect(list.body.executions.map((e: {tag: string}) => e.tag)).toContain('first')
    const dag = await cli(['execution', 'dag', 'first'])
    expect(dag.stdout).toMatch(/^list → read \(/m)
    const waited = await cli(['execution', 'wait', 'first'])
    expect(waited.code).toBe(0)
  }, 180_000)

  it('stores an invalid config with its report and exits 2; unknown ids exit 1 with the server\'s code', async () => {
    const broken = await cli(['config', 'create', '-f', 'broken.yaml'])
    expect(broken.code).toBe(2)
    expect(broken.stdout).toMatch(/valid:\s+no: \d+ error\(s\)/)
    const missingFile = await cli(['config', 'create', '-f', 'nope.yaml'])
    expect(missingFile.code).toBe(2)
    expect(missingFile.stderr).toMatch(/Error \[FILE_NOT_FOUND\]/)
    const unknown = await json(['execution', 'get', 'no-such-execution'])
    expect(unknown.code).toBe(1)
    expect(unknown.body.error).toMatchObject({code: 'EXECUTION_NOT_FOUND'})
    const badHeader = await cli(['execution', 'list', '--header', 'no colon here'])
    expect(badHeader.code).toBe(2)
    expect(badHeader.stderr).toMatch(/CLIENT_HEADER_INVALID/)
  }, 120_000)

  it('says which URL it tried when no server answers (exit 4), and reports a server that answers 500', async () => {
    const refused = await json(['system', 'health', '--server', 'http://127.0.0.1:9'])
    expect(refused.code).toBe(4)
    expect(refused.body.error).toMatchObject({code: 'SERVER_UNREACHABLE'})
    expect(refused.body.error.message).toContain('http://127.0.0.1:9')
    expect(refused.body.error.hint).toMatch(/factflow serve --embedded/)

    const broken = http.createServer((_req, res) => res.writeHead(500, {'content-type': 'text/plain'}).end('upstream exploded'))
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve))
    try {
      const answered = await cli(['execution', 'list', '--server', `http://127.0.0.1:${(broken.address() as AddressInfo).port}`])
      expect(answered.code).toBe(1)
      expect(answered.stderr).toMatch(/Error \[HTTP_500\]: The server answered 500/)
    } finally {
      await new Promise((resolve) => broken.close(resolve))
    }
  }, 60_000)

  it('watches an execution to its end while the connection is cut and restored mid-run, then exits with its code', async () => {
    const created = await json(['config', 'create', '-f', 'slow.yaml', '--name', 'slow'])
    const {port} = new URL(served.url)
    const proxy = await startTcpProxy({host: '127.0.0.1', port: Number(port)})
    try {
      const viaProxy = `http://127.0.0.1:${proxy.port}`
      const started = await json(['config', 'run', created.body.id, '--tag', 'watched'])
      expect(started.body.status).toBe('running')
      const watching = runCli(['execution', 'watch', 'watched', '--no-tui', '--server', viaProxy], {cwd: work, timeoutMs: 120_000})
      // Cut once the watch is following the stream (its start-up takes a moment on a busy machine).
      const deadline = Date.now() + 60_000
      while (proxy.connections === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await proxy.cut('now')
      await new Promise((resolve) => setTimeout(resolve, 1200))
      proxy.restore()
      const watched = await watching
      expect(watched.code, `${watched.stdout}\n${watched.stderr}`).toBe(0)
      expect(watched.stdout).toMatch(/status:\s+completed/)
      expect(watched.stdout).toMatch(new RegExp(`read\\s+${FILES}\\s+${FILES}\\s+0\\s+0`))
      expect(proxy.connections).toBeGreaterThanOrEqual(2)
    } finally {
      await proxy.close()
    }
  }, 180_000)

  it('chats through the server: an answer with its sources, then a follow-up in the same thread', async () => {
    const created = await json(['config', 'create', '-f', path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml'), '--name', 'docs'])
    expect(created.body.is_runnable, JSON.stringify(created.body.validation_report)).toBe(true)
    const ran = await cli(['config', 'run', created.body.id, '--wait'])
    expect(ran.code, ran.stderr).toBe(0)
    const asked = await json(['chat', '--once', 'where are failed messages kept?'])
    expect(asked.code, asked.stderr).toBe(0)
    expect(Object.keys(asked.body).sort()).toEqual(['answer', 'sources', 'thread_id'])
    expect(asked.body.sources.length).toBeGreaterThan(0)
    expect(asked.body.sources[0].text).toMatch(/dead-letter queue/)
    expect(asked.body.answer).toMatch(/\[1\]/)
    const followUp = await json(['chat', '--once', 'and how do I redrive them?', '--thread', asked.body.thread_id])
    expect(followUp.code, followUp.stderr).toBe(0)
    expect(followUp.body.thread_id).toBe(asked.body.thread_id)
    expect(followUp.body.answer).toMatch(/[Rr]edrive/)
    const unknownThread = await cli(['chat', '--once', 'hello?', '--thread', '00000000-0000-0000-0000-000000000000'])
    expect(unknownThread.code).toBe(1)
    expect(unknownThread.stderr).toMatch(/Error \[CHAT_THREAD_NOT_FOUND\]/)
  }, 180_000)

  it('cancels a running execution; waiting on it exits 1', async () => {
    const created = await json(['config', 'create', '-f', 'slow.yaml', '--name', 'to-cancel'])
    await cli(['config', 'run', created.body.id, '--tag', 'cancel-me'])
    const paused = await cli(['pipeline', 'pause', 'read', '--execution', 'cancel-me'])
    expect(paused.code, paused.stderr).toBe(0)
    const cancelled = await json(['execution', 'cancel', 'cancel-me'])
    expect(cancelled.code).toBe(0)
    const waited = await json(['execution', 'wait', 'cancel-me', '--timeout', '60s'])
    expect(waited.body.status).toBe('cancelled')
    expect(waited.code).toBe(1)
  }, 120_000)
})
