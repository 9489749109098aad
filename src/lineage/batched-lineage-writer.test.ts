import {afterEach, describe, expect, it, vi} from 'vitest'
import type {CopyTarget, Database, DatabaseTransaction} from '../db/types.js'
import type {Logger} from '../logging/logger.js'
import {decodeLineageCopy} from '../../test/helpers/copy-binary.js'
import {lineageRow, lineageRows} from '../../test/helpers/lineage-rows.js'
import {createLineageWriter} from './batched-lineage-writer.js'
import type {LineageWriter} from './types.js'

/**
 * An in-memory stand-in for the lineage table: stores rows by id (the first COPY column), can be
 * taken down, and records how many writes ran at once.
 */
class FakeLineageStore implements Database {
  readonly kind = 'postgres' as const
  readonly location = 'fake://lineage'
  readonly stored = new Map<string, number>()
  down = false
  /** How long each write takes. */
  latencyMs = 2
  /** Writes neither finish nor fail (a server that stopped answering) until `unhang`. */
  hung = false
  private hangs: Array<() => void> = []
  calls = 0
  concurrent = 0
  maxConcurrent = 0
  safeWrites = 0

  async query(): Promise<{rows: never[]; rowCount: number}> {
    return {rows: [], rowCount: 0}
  }

  copyFrom(_target: CopyTarget, data: string | Uint8Array): Promise<number> {
    return this.write(data, false)
  }

  async transaction<T>(fn: (tx: DatabaseTransaction) => Promise<T>): Promise<T> {
    this.safeWrites++
    let staged: string | Uint8Array = ''
    return fn({
      query: async (sql) => {
        if (sql.startsWith('INSERT')) await this.write(staged, true)
        return {rows: [], rowCount: 0}
      },
      copyFrom: async (_target, data) => {
        staged = data
        return 0
      },
    })
  }

  async close(): Promise<void> {}

  unhang(): void {
    this.hung = false
    for (const resolve of this.hangs.splice(0)) resolve()
  }

  private async write(data: string | Uint8Array, ignoreDuplicates: boolean): Promise<number> {
    this.calls++
    this.concurrent++
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent)
    try {
      await new Promise((resolve) => setTimeout(resolve, this.latencyMs))
      if (this.hung) await new Promise<void>((resolve) => this.hangs.push(resolve))
      if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {code: 'ECONNREFUSED'})
      if (typeof data === 'string') throw new Error('the lineage writer sends binary COPY')
      const ids = decodeLineageCopy(data).map((row) => row.id as string)
      if (!ignoreDuplicates && ids.some((id) => this.stored.has(id))) {
        throw Object.assign(new Error('duplicate key value violates unique constraint "lineage_pkey"'), {code: '23505'})
      }
      for (const id of ids) {
        if (ignoreDuplicates && this.stored.has(id)) continue // ON CONFLICT (id) DO NOTHING
        this.stored.set(id, (this.stored.get(id) ?? 0) + 1)
      }
      return ids.length
    } finally {
      this.concurrent--
    }
  }
}

function capturingLogger(): Logger & {warnings: string[]} {
  const warnings: string[] = []
  const logger = {
    warnings,
    debug() {},
    info() {},
    warn(_fields: Record<string, unknown>, message: string) {
      warnings.push(message)
    },
    error(_fields: Record<string, unknown>, message: string) {
      warnings.push(message)
    },
    child: () => logger,
  }
  return logger
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const writers: LineageWriter[] = []
const track = (writer: LineageWriter) => {
  writers.push(writer)
  return writer
}
afterEach(async () => {
  await Promise.all(writers.splice(0).map((writer) => writer.close(100)))
})

describe('batched lineage writer', () => {
  it('writes a partial batch after the flush interval, without being asked', async () => {
    const store = new FakeLineageStore()
    const writer = track(createLineageWriter(store, {flushIntervalMs: 20}))
    for (const row of lineageRows(10)) writer.write(row)
    expect(store.calls).toBe(0)
    await vi.waitFor(() => expect(store.stored.size).toBe(10), {timeout: 5_000})
    expect(writer.stats()).toEqual({written: 10, pending: 0, failedFlushes: 0, dropped: 0})
  })

  it('writes full batches at once and never runs two writes at the same time', async () => {
    const store = new FakeLineageStore()
    const writer = track(createLineageWriter(store, {maxBatchRows: 100, flushIntervalMs: 10_000}))
    for (const row of lineageRows(1_050)) writer.write(row)
    await vi.waitFor(() => expect(store.stored.size).toBe(1_000), {timeout: 5_000})
    await sleep(50)
    // The last 50 wait for their interval (10 s here) or an explicit flush.
    expect(store.stored.size).toBe(1_000)
    await writer.flush(1_000)
    expect(store.stored.size).toBe(1_050)
    expect(store.maxConcurrent).toBe(1)
  })

  it('keeps rows while the store is down and writes each exactly once when it returns', async () => {
    const store = new FakeLineageStore()
    const logger = capturingLogger()
    const writer = track(createLineageWriter(store, {maxBatchRows: 50, flushIntervalMs: 5, retryInitialDelayMs: 5,
      retryMaxDelayMs: 20, logger}))
    store.down = true
    const rows = lineageRows(500)
    const durations: number[] = []
    for (const row of rows) {
      const started = performance.now()
      writer.write(row)
      durations.push(performance.now() - started)
      if (row.adapter_index === 0) await sleep(0)
    }
    await vi.waitFor(() => expect(writer.stats().failedFlushes).toBeGreaterThan(1), {timeout: 5_000})
    expect(writer.stats()).toMatchObject({written: 0, pending: 500, dropped: 0})
    expect(logger.warnings).toContain('lineage store unavailable: rows are kept in memory and retried')
    // Never waits for the store (each failed attempt takes 2 ms or more): a GC pause may slow one call, not all.
    durations.sort((a, b) => a - b)
    expect(durations[durations.length >> 1]).toBeLessThan(0.5)
    expect(durations.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(200)

    store.down = false
    await writer.flush(5_000)
    expect(writer.stats()).toMatchObject({written: 500, pending: 0, dropped: 0})
    expect([...store.stored.values()].every((times) => times === 1)).toBe(true)
    expect(store.stored.size).toBe(500)
    // The batch that failed on a lost connection went through the idempotent path.
    expect(store.safeWrites).toBeGreaterThan(0)
  })

  it('drops the oldest rows past the buffer bound, counts them and says so', async () => {
    const store = new FakeLineageStore()
    const logger = capturingLogger()
    const writer = track(createLineageWriter(store, {maxBatchRows: 50, maxBufferedRows: 100, retryInitialDelayMs: 5,
      retryMaxDelayMs: 10, logger}))
    store.down = true
    const rows = lineageRows(1_000)
    for (const row of rows) writer.write(row)
    expect(writer.stats()).toMatchObject({dropped: 900, pending: 100})
    expect(logger.warnings.some((message) => message.startsWith('lineage rows dropped'))).toBe(true)

    store.down = false
    await writer.flush(5_000)
    expect(writer.stats()).toMatchObject({written: 100, dropped: 900, pending: 0})
    // The newest rows survive.
    expect(store.stored.has(rows[999].id)).toBe(true)
    expect(store.stored.has(rows[0].id)).toBe(false)
  })

  it('stores a batch once even when a retry finds part of it already there', async () => {
    const store = new FakeLineageStore()
    const writer = track(createLineageWriter(store, {maxBatchRows: 10}))
    const rows = lineageRows(10)
    store.stored.set(rows[3].id, 1) // as if an earlier attempt had committed before its answer was lost
    for (const row of rows) writer.write(row)
    await writer.flush(1_000)
    expect(writer.stats()).toMatchObject({written: 10, dropped: 0})
    expect(store.stored.get(rows[3].id)).toBe(1)
    expect(store.stored.size).toBe(10)
  })

  it('never throws from write, even for a row it cannot serialise', () => {
    const writer = track(createLineageWriter(new FakeLineageStore()))
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(() => writer.write(lineageRow({metadata: circular}))).not.toThrow()
    expect(() => writer.write(lineageRow({started_at: new Date(Number.NaN)}))).not.toThrow()
    expect(writer.stats()).toMatchObject({pending: 1, dropped: 1})
  })

  it('gives up waiting at the flush timeout, and close reports rows it could not store', async () => {
    const store = new FakeLineageStore()
    store.down = true
    const writer = createLineageWriter(store, {retryInitialDelayMs: 5, retryMaxDelayMs: 10})
    for (const row of lineageRows(20)) writer.write(row)
    const started = Date.now()
    await writer.flush(50)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(writer.stats().pending).toBe(20)
    await writer.close(50)
    await vi.waitFor(() => expect(writer.stats()).toMatchObject({written: 0, pending: 0, dropped: 20}), {timeout: 5_000})
    writer.write(lineageRow())
    expect(writer.stats().dropped).toBe(21)
  })

  describe('backlog: a slow store slows the engine down instead of losing rows', () => {
    it('asks to wait while a working store is behind, and lets go once it has caught up', async () => {
      const store = new FakeLineageStore()
      store.latencyMs = 20
      const writer = track(createLineageWriter(store, {maxBatchRows: 50, maxBufferedRows: 400, flushIntervalMs: 5}))
      expect(writer.backlog?.()).toBeUndefined()
      for (const row of lineageRows(250)) writer.write(row)
      // 250 queued ≥ the default mark (half of 400): wait.
      const wait = writer.backlog?.()
      expect(wait).toBeInstanceOf(Promise)
      let pendingAtRelease: number | undefined
      void wait!.then(() => { pendingAtRelease = writer.stats().pending })
      await sleep(5)
      expect(pendingAtRelease).toBeUndefined()
      await vi.waitFor(() => expect(pendingAtRelease).toBeDefined(), {timeout: 5_000})
      // Let go at half the mark (100 queued, plus the batch being written), not only when empty.
      expect(pendingAtRelease).toBeGreaterThan(0)
      expect(pendingAtRelease).toBeLessThanOrEqual(150)
      await writer.flush(5_000)
      expect(writer.stats()).toMatchObject({written: 250, dropped: 0})
    })

    it('never waits on a store that is down', async () => {
      const store = new FakeLineageStore()
      store.down = true
      const writer = track(createLineageWriter(store, {maxBatchRows: 50, maxBufferedRows: 400, retryInitialDelayMs: 5, retryMaxDelayMs: 10}))
      for (const row of lineageRows(300)) writer.write(row)
      await vi.waitFor(() => expect(writer.stats().failedFlushes).toBeGreaterThan(0), {timeout: 5_000})
      expect(writer.backlog?.()).toBeUndefined()
    })

    it('lets waiting messages go when a store stops answering, and does not wait on it again until it stores', async () => {
      const store = new FakeLineageStore()
      const logger = capturingLogger()
      const writer = track(createLineageWriter(store, {maxBatchRows: 50, backlogRows: 100, stallMs: 100, logger}))
      store.hung = true
      for (const row of lineageRows(200)) writer.write(row)
      const started = performance.now()
      await writer.backlog?.()
      const waited = performance.now() - started
      expect(waited).toBeGreaterThanOrEqual(90)
      expect(waited).toBeLessThan(2_000)
      expect(logger.warnings).toContain('lineage store stored nothing for a while: the run goes on without waiting for it')
      expect(writer.backlog?.()).toBeUndefined()
      store.unhang()
      await writer.flush(5_000)
      expect(writer.stats()).toMatchObject({written: 200, dropped: 0})
      // It stored again: a new backlog is waited on again.
      store.latencyMs = 30
      for (const row of lineageRows(200)) writer.write(row)
      expect(writer.backlog?.()).toBeInstanceOf(Promise)
    })

    it('lets waiting messages go when it is closed', async () => {
      const store = new FakeLineageStore()
      store.latencyMs = 50
      const writer = createLineageWriter(store, {maxBatchRows: 50, backlogRows: 100})
      for (const row of lineageRows(200)) writer.write(row)
      const wait = writer.backlog?.()
      expect(wait).toBeInstanceOf(Promise)
      let released = false
      void wait!.then(() => { released = true })
      const closing = writer.close(5_000)
      await sleep(0)
      expect(released).toBe(true)
      await closing
      expect(writer.stats()).toMatchObject({written: 200, dropped: 0})
    })
  })
})
