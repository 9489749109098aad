import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {migrate} from '../../src/db/migrate.js'
import type {Database} from '../../src/db/types.js'
import {payloadHash} from '../../src/engine/payload-hash.js'
import {createLineageWriter} from '../../src/lineage/batched-lineage-writer.js'
import {createLineageQueries} from '../../src/lineage/lineage-queries.js'
import {createHarness, pipeline} from '../helpers/engine-harness.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'

const hasPostgres = await serviceAvailable('PostgreSQL', POSTGRES_URL)

const fanOutPipeline = (delayMs = 0) => pipeline({
  version: '1.0',
  error_handling: {max_retries: 1, retry_delay_seconds: 0.01, dead_letter_queue: '/queue/dlq'},
  routes: {
    a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 20}}], outbound: [{queue: '/queue/b'}]},
    b: {inbound: {queue: '/queue/b', concurrency: 4}, adapters: [{type: 'delay', config: {ms: delayMs}}, {type: 'fan_out', id: 'split', config: {count: 3, field: 'j'}}], outbound: [{queue: '/queue/c'}]},
    c: {inbound: {queue: '/queue/c', concurrency: 8}, adapters: [{type: 'passthrough'}]},
  },
  init_message: {route: 'a', payload: {}},
})
// a: 1 row; b: 20 × (delay + split) = 40; c: 60.
const EXPECTED_ROWS = 101

async function runWithStore(db: Database, delayMs = 0, during?: () => Promise<void>) {
  const writer = createLineageWriter(db, {retryMaxDelayMs: 200})
  const harness = await createHarness(fanOutPipeline(delayMs), {lineageWriter: writer})
  try {
    await harness.orchestrator.start()
    const [result] = await Promise.all([harness.orchestrator.result, during?.()])
    await writer.close(30_000)
    return {result, writer, executionId: harness.orchestrator.executionId}
  } finally {
    await harness.cleanup()
  }
}

async function assertLineage(db: Database, executionId: string) {
  const {rows} = await db.query<{message_id: string; parent_id: string | null; route_id: string; n: number}>(
    'SELECT message_id, parent_id, route_id, count(*)::int AS n FROM lineage WHERE execution_id = $1 GROUP BY message_id, parent_id, route_id',
    [executionId])
  const total = rows.reduce((s, r) => s + r.n, 0)
  expect(total).toBe(EXPECTED_ROWS)
  const ids = new Set(rows.map((r) => r.message_id))
  const roots = rows.filter((r) => r.parent_id === null)
  expect(roots).toHaveLength(1)
  // Every other row's parent is a message that has its own lineage row.
  for (const row of rows) if (row.parent_id !== null) expect(ids.has(row.parent_id)).toBe(true)
  // Input hashes are stored spelled out; the init message's payload is {}.
  const {rows: hashes} = await db.query<{route_id: string; stage_input_hash: string}>(
    'SELECT route_id, stage_input_hash FROM lineage WHERE execution_id = $1', [executionId])
  for (const row of hashes) expect(row.stage_input_hash).toMatch(/^xxh64:[0-9a-f]{16}$/)
  expect(hashes.find((r) => r.route_id === 'a')!.stage_input_hash).toBe(payloadHash({}))
  const leaf = rows.find((r) => r.route_id === 'c')!
  const queries = createLineageQueries(db)
  const {rows: [leafRow]} = await db.query<{id: string}>('SELECT id FROM lineage WHERE message_id = $1 LIMIT 1', [leaf.message_id])
  const chain = await queries.chain(leafRow!.id)
  expect(chain!.ancestors.map((r) => r.route_id)).toEqual(expect.arrayContaining(['a', 'b']))
}

describe('engine lineage on PGlite', () => {
  it('stores one row per adapter invocation with parent links back to the init message', async () => {
    const db = await openDatabase('memory://', {pgliteWorker: false})
    try {
      await migrate(db)
      const {result, executionId} = await runWithStore(db)
      expect(result.status).toBe('completed')
      await assertLineage(db, executionId)
    } finally {
      await db.close()
    }
  }, 60_000)
})

describe('engine lineage on a store slower than the pipeline', () => {
  it('slows the run down instead of dropping rows, and stores every row', async () => {
    const db = await openDatabase('memory://', {pgliteWorker: false})
    try {
      await migrate(db)
      // Every batch of 20 rows takes 15 ms more: 1 000 passthrough invocations outrun it by far.
      const slow: Database = Object.assign(Object.create(db) as Database, {
        copyFrom: async (...args: Parameters<Database['copyFrom']>) => {
          await sleep(15)
          return db.copyFrom(...args)
        },
      })
      const writer = createLineageWriter(slow, {maxBatchRows: 20, maxBufferedRows: 100})
      const harness = await createHarness(pipeline({
        version: '1.0',
        routes: {
          a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 1000}}], outbound: [{queue: '/queue/b'}]},
          b: {inbound: {queue: '/queue/b', concurrency: 4}, adapters: [{type: 'passthrough'}]},
        },
        init_message: {route: 'a', payload: {}},
      }), {lineageWriter: writer})
      try {
        await harness.orchestrator.start()
        const result = await harness.orchestrator.result
        await writer.close(30_000)
        expect(result.status).toBe('completed')
        expect(writer.stats()).toMatchObject({written: 1001, dropped: 0})
        const {rows: [count]} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM lineage WHERE execution_id = $1',
          [harness.orchestrator.executionId])
        expect(count!.n).toBe(1001)
      } finally {
        await harness.cleanup()
      }
    } finally {
      await db.close()
    }
  }, 60_000)
})

describe.skipIf(!hasPostgres)('engine lineage on PostgreSQL', () => {
  let scratch: ScratchDatabase | undefined
  afterAll(async () => scratch?.drop())

  it('stores one row per adapter invocation with parent links back to the init message', async () => {
    scratch = await createScratchDatabase()
    const db = await openDatabase(scratch.url)
    try {
      await migrate(db)
      const {result, executionId} = await runWithStore(db)
      expect(result.status).toBe('completed')
      await assertLineage(db, executionId)
    } finally {
      await db.close()
    }
  })

  it('keeps running when the lineage database disappears mid-run, and the rows arrive when it returns', async () => {
    scratch ??= await createScratchDatabase()
    const setup = await openDatabase(scratch.url)
    await migrate(setup)
    await setup.close()
    const target = new URL(scratch.url)
    const proxy = await startTcpProxy({host: target.hostname, port: Number(target.port || 5432)})
    const db = await openDatabase(proxy.rewrite(scratch.url), {connectTimeoutMs: 1000})
    try {
      let cutAt = 0
      let restoredAt = 0
      const started = Date.now()
      const {result, executionId} = await runWithStore(db, 60, async () => {
        await sleep(100)
        await proxy.cut('now')
        cutAt = Date.now()
        await sleep(1500)
        proxy.restore()
        restoredAt = Date.now()
      })
      const finished = Date.now()
      expect(result.status).toBe('completed')
      expect(cutAt).toBeGreaterThan(0)
      // 20 messages × 60 ms over 4 slots ≈ 300 ms of work: the run finished while the store was cut.
      expect(result.duration_ms).toBeLessThan(restoredAt - started)
      expect(finished).toBeGreaterThanOrEqual(restoredAt)
      const check = await openDatabase(scratch.url)
      try {
        await assertLineage(check, executionId)
      } finally {
        await check.close()
      }
    } finally {
      await db.close().catch(() => undefined)
      await proxy.close()
    }
  })
})
