import {v7 as uuidv7} from 'uuid'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createLineageWriter} from '../../src/lineage/batched-lineage-writer.js'
import type {LineageWriter} from '../../src/lineage/types.js'
import {lineageRows} from '../helpers/lineage-rows.js'
import type {ScratchDatabase} from '../helpers/scratch-database.js'
import {createScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import type {TcpProxy} from '../helpers/tcp-proxy.js'
import {startTcpProxy} from '../helpers/tcp-proxy.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)
const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!available)('lineage writer through a PostgreSQL outage', () => {
  let scratch: ScratchDatabase
  let direct: Database
  let proxy: TcpProxy
  let viaProxy: Database
  let writer: LineageWriter

  beforeAll(async () => {
    scratch = await createScratchDatabase()
    direct = await openDatabase(scratch.url)
    await migrate(direct)
  })
  afterEach(async () => {
    await writer?.close(1_000)
    await viaProxy?.close()
    await proxy?.close()
  })
  afterAll(async () => {
    await direct?.close()
    await scratch?.drop()
  })

  async function connectThroughProxy(): Promise<void> {
    const target = new URL(scratch.url)
    proxy = await startTcpProxy({host: target.hostname, port: Number(target.port)})
    viaProxy = await openDatabase(proxy.rewrite(scratch.url), {poolSize: 1, connectTimeoutMs: 1_000})
    writer = createLineageWriter(viaProxy, {maxBatchRows: 1_000, flushIntervalMs: 10, retryInitialDelayMs: 20, retryMaxDelayMs: 200})
  }

  async function storedCount(executionId: string): Promise<{n: number; ids: number}> {
    const {rows} = await direct.query<{n: number; ids: number}>(
      'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM lineage WHERE execution_id = $1', [executionId])
    return rows[0]
  }

  it('keeps write() instant through a cut in the middle of a COPY, then stores every row exactly once', async () => {
    await connectThroughProxy()
    const executionId = uuidv7()
    const rows = lineageRows(30_000, executionId)
    const writeMs: number[] = []
    let cut: Promise<void> | undefined
    let restoredAt = -1

    for (let i = 0; i < rows.length; i++) {
      const started = performance.now()
      writer.write(rows[i])
      writeMs.push(performance.now() - started)
      if (i === 5_000) cut = proxy.cut('mid-request', 16_000)
      if (i % 500 === 499) {
        await tick()
        if (cut !== undefined && proxy.isCut && restoredAt < 0) {
          // Keep writing into the outage for a while before the store comes back.
          restoredAt = i + 10_000
        }
        if (restoredAt >= 0 && i >= restoredAt && proxy.isCut) proxy.restore()
        await sleep(2)
      }
    }
    await cut
    proxy.restore()
    await writer.flush(60_000)

    expect(writer.stats()).toMatchObject({written: 30_000, pending: 0, dropped: 0})
    expect(writer.stats().failedFlushes).toBeGreaterThan(0)
    expect(await storedCount(executionId)).toEqual({n: 30_000, ids: 30_000})
    writeMs.sort((a, b) => a - b)
    // Measured here: p50 ≈ 2 µs, p99 ≈ 30 µs; the rare outlier is a GC pause, not the writer.
    expect(writeMs[29_700]).toBeLessThan(1)
  })

  it('does not store a batch twice when the answer to a committed COPY is lost', async () => {
    await connectThroughProxy()
    const executionId = uuidv7()
    const rows = lineageRows(5_000, executionId)
    const cut = proxy.cut('before-reply', 16_000)
    for (const row of rows) writer.write(row)
    await cut
    // The server committed the batch; the writer only saw its connection die.
    expect((await storedCount(executionId)).n).toBeGreaterThan(0)
    expect(writer.stats().written).toBe(0)
    await sleep(50)
    proxy.restore()
    await writer.flush(30_000)
    expect(writer.stats()).toMatchObject({written: 5_000, pending: 0, dropped: 0})
    expect(await storedCount(executionId)).toEqual({n: 5_000, ids: 5_000})
  })

  it('writes everything queued while the database was unreachable from the start', async () => {
    await connectThroughProxy()
    await proxy.cut('now')
    const executionId = uuidv7()
    for (const row of lineageRows(3_000, executionId)) writer.write(row)
    await sleep(300)
    expect(writer.stats()).toMatchObject({written: 0, pending: 3_000})
    proxy.restore()
    await writer.flush(30_000)
    expect(await storedCount(executionId)).toEqual({n: 3_000, ids: 3_000})
  })
})
