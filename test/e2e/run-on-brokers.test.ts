import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'

const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/local-folder-to-storage.yaml')
const pulsar = await pulsarTestBroker()
const brokers = [
  {name: 'amqp', url: AMQP_URL, available: await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)},
  {name: 'stomp', url: STOMP_URL, available: await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)},
  // The local Pulsar WebSocket-protocol fake (or FACTFLOW_TEST_PULSAR_URL's broker).
  {name: 'pulsar', url: pulsar.url, available: pulsar.available},
]
let work: string

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-brokers-'))
  await mkdir(path.join(work, 'corpus', 'nested'), {recursive: true})
  for (let i = 0; i < 20; i++) await writeFile(path.join(work, 'corpus', `doc-${i}.md`), `# Doc ${i}\n\n${'text '.repeat(i * 10)}\n`)
  await writeFile(path.join(work, 'corpus', 'nested', 'page.html'), '<h1>Page</h1><p>nested</p>')
  await mkdir(path.join(work, 'many'))
  for (let i = 0; i < 1500; i++) await writeFile(path.join(work, 'many', `f-${i}.txt`), `file ${i}\n`)
})
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
  await pulsar.close()
})

/** What a run stored, independent of its ids: per route/stage, the sorted content hashes. */
async function artefacts(storageDir: string, executionId: string): Promise<Record<string, string[]>> {
  const root = path.join(storageDir, 'executions', executionId)
  const out: Record<string, string[]> = {}
  for (const route of await readdir(root)) {
    for (const stage of await readdir(path.join(root, route))) {
      const metas = (await readdir(path.join(root, route, stage))).filter((f) => f.endsWith('.meta.json'))
      out[`${route}/${stage}`] = (await Promise.all(metas.map(async (f) => {
        const meta = JSON.parse(await readFile(path.join(root, route, stage, f), 'utf8')) as {sha256: string; source_url: string}
        return `${meta.source_url} ${meta.sha256}`
      }))).sort()
    }
  }
  return out
}

async function run(queue: string, label: string) {
  const storage = path.join(work, `storage-${label}`)
  const result = await runCli(['run', PIPELINE, '--json', '--no-lineage', '--set', `path=${path.join(work, 'corpus')}`, '--queue', queue, '--storage', `file://${storage}`], {cwd: work, timeoutMs: 120_000})
  expect(result.code, result.stderr).toBe(0)
  const summary = JSON.parse(result.stdout) as {execution_id: string; status: string; messages: Record<string, number>; routes: Record<string, {received: number}>}
  return {summary, stored: await artefacts(storage, summary.execution_id)}
}

describe('factflow run on real brokers (built binary)', () => {
  let memory: Awaited<ReturnType<typeof run>>
  beforeAll(async () => {
    memory = await run('memory://', 'memory')
  }, 180_000)

  for (const broker of brokers) {
    it.skipIf(!broker.available)(`stores the same artefacts on ${broker.name} as on memory://`, async () => {
      const {summary, stored} = await run(broker.url, broker.name)
      expect(summary.status).toBe('completed')
      expect(summary.messages).toEqual(memory.summary.messages)
      expect(Object.keys(stored)).toEqual(['read/file_reader'])
      expect(stored).toEqual(memory.stored)
      expect(stored['read/file_reader']).toHaveLength(21)
    }, 180_000)

    it.skipIf(!broker.available)(`fails with exit 4 and QUEUE_BROKER_UNAVAILABLE when ${broker.name} stays away past the deadline`, async () => {
      const target = new URL(broker.url)
      const proxy = await startTcpProxy({host: target.hostname, port: Number(target.port)})
      try {
        const queue = `${proxy.rewrite(broker.url)}?reconnect_deadline_ms=1500&reconnect_initial_delay_ms=100`
        const child = spawn(process.execPath, [BIN, 'run', PIPELINE, '--no-tui', '--no-lineage', '--concurrency', '1', '--set', `path=${path.join(work, 'many')}`,
          '--queue', queue, '--storage', `file://${path.join(work, `cut-${broker.name}`)}`], {cwd: work, env: {...process.env, FORCE_COLOR: '0', CI: 'true'}})
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
        const started = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString()
          if (/execution [0-9a-f-]{36}/.test(stderr)) resolve()
        }))
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
        const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
        await Promise.race([started, exited])
        await proxy.cut()
        const code = await exited
        clearTimeout(killer)
        expect(code, `${stdout}\n${stderr}`).toBe(4)
        expect(stdout).toMatch(/failed/)
        expect(stdout).toMatch(/QUEUE_BROKER_UNAVAILABLE/)
        expect(stdout + stderr).not.toContain('guest:guest')
      } finally {
        await proxy.close()
      }
    }, 120_000)
  }
})
