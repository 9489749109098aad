import {execFile, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, PROJECT_ROOT} from '../helpers/cli.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {AMQP_URL, POSTGRES_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'

/**
 * A broker that goes away in the middle of `factflow run` and comes back: the run completes, every
 * file is stored, and lineage shows every stage ran exactly once per message (nothing lost,
 * nothing processed twice).
 *
 * The outage is a cut TCP proxy between factflow and the broker: RabbitMQ on this machine is
 * shared with other sessions, and stopping it would break their tests. Set
 * `FACTFLOW_TEST_RABBITMQ_RESTART=1` to stop and start the real RabbitMQ application instead
 * (`rabbitmqctl stop_app` / `start_app`; needs the rights to run rabbitmqctl, and nobody else
 * using the broker meanwhile).
 */
const run = promisify(execFile)
const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/local-folder-to-storage.yaml')
const FILES = 800
const REAL_RESTART = process.env.FACTFLOW_TEST_RABBITMQ_RESTART === '1'

const postgres = await serviceAvailable('PostgreSQL', POSTGRES_URL)
const pulsar = await pulsarTestBroker()
const brokers = [
  {name: 'amqp', url: AMQP_URL, available: await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL), rabbitmq: true},
  {name: 'stomp', url: STOMP_URL, available: await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL), rabbitmq: true},
  {name: 'pulsar', url: pulsar.url, available: pulsar.available, rabbitmq: false},
]
let work: string

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-restart-'))
  await mkdir(path.join(work, 'files'))
  for (let i = 0; i < FILES; i++) await writeFile(path.join(work, 'files', `f-${i}.txt`), `file ${i}\n`)
})
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
  await pulsar.close()
})

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir, {recursive: true})).filter((name) => name.endsWith('.meta.json')).length
  } catch {
    return 0
  }
}

describe.skipIf(!postgres)('factflow run across a broker outage in the middle of the run (built binary)', () => {
  for (const broker of brokers) {
    const real = REAL_RESTART && broker.rabbitmq
    it.skipIf(!broker.available)(`${real ? 'restarts RabbitMQ' : 'cuts the connection'} under ${broker.name} mid-run: every stage runs once per message and the run completes`, async () => {
      const target = new URL(broker.url)
      const proxy = real ? undefined : await startTcpProxy({host: target.hostname, port: Number(target.port)})
      const database: ScratchDatabase = await createScratchDatabase()
      const storage = path.join(work, `storage-${broker.name}`)
      try {
        const queue = `${proxy ? proxy.rewrite(broker.url) : broker.url}?reconnect_initial_delay_ms=100&reconnect_max_delay_ms=500`
        const child = spawn(process.execPath, [BIN, 'run', PIPELINE, '--json', '--set', `path=${path.join(work, 'files')}`,
          '--queue', queue, '--database', database.url, '--storage', `file://${storage}`], {cwd: work, env: {...process.env, FORCE_COLOR: '0', FACTFLOW_DB_WORKER_NICE: '0'}})
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
        const killer = setTimeout(() => child.kill('SIGKILL'), 240_000)
        let done = false
        void exited.then(() => { done = true })
        while (!done && await countFiles(storage) < 60) await sleep(20)
        expect(done, `the run ended before the outage: ${stderr}`).toBe(false)
        const storedBefore = await countFiles(storage)
        const connectionsBefore = proxy?.connections ?? 0
        if (proxy) await proxy.cut()
        else await run('rabbitmqctl', ['stop_app'])
        await sleep(1500)
        if (proxy) proxy.restore()
        else await run('rabbitmqctl', ['start_app'])
        const code = await exited
        clearTimeout(killer)
        expect(code, `${stdout}\n${stderr}`).toBe(0)
        expect(storedBefore).toBeLessThan(FILES) // the outage hit while files were still being read
        if (proxy) expect(proxy.connections).toBeGreaterThan(connectionsBefore) // and factflow reconnected
        const summary = JSON.parse(stdout) as {execution_id: string; status: string; messages: {completed: number; dead_lettered: number}}
        expect(summary.status).toBe('completed')
        expect(summary.messages).toMatchObject({completed: 1 + 2 * FILES, dead_lettered: 0})
        expect(await countFiles(storage)).toBe(FILES)

        const client = new pg.Client({connectionString: database.url})
        await client.connect()
        try {
          const twice = await client.query(`SELECT message_id, adapter_name, count(*)::int AS n FROM lineage
            WHERE execution_id = $1 AND stage_status = 'completed' GROUP BY 1, 2 HAVING count(*) > 1`, [summary.execution_id])
          expect(twice.rows).toEqual([])
          const perStage = await client.query<{adapter_name: string; n: number}>(`SELECT adapter_name, count(*)::int AS n FROM lineage
            WHERE execution_id = $1 AND stage_status = 'completed' GROUP BY 1 ORDER BY 1`, [summary.execution_id])
          expect(Object.fromEntries(perStage.rows.map((row) => [row.adapter_name, row.n]))).toEqual({directory_lister: 1, file_reader: FILES, storage_retriever: FILES})
        } finally {
          await client.end()
        }
      } finally {
        if (proxy) {
          proxy.restore()
          await proxy.close()
        }
        await database.drop()
      }
    }, 300_000)
  }
})
