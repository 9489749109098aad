import {sqlState} from '../db/database-errors.js'
import type {Database} from '../db/types.js'
import {WaitGate} from '../engine/wait-gate.js'
import type {Logger} from '../logging/logger.js'
import {silentLogger} from '../logging/logger.js'
import {LINEAGE_COLUMNS, LineageRowEncoder} from './lineage-binary-format.js'
import {copyBody, LineageRowQueue, type RowSpan, spanRows, splitSpans} from './lineage-row-queue.js'
import type {LineageWriter, NewLineageRow} from './types.js'

export interface LineageWriterOptions {
  /** Rows per COPY (default 5000: measured sweet spot, ~55–60k rows/s on PostgreSQL 15 here). */
  maxBatchRows?: number
  /** A partial batch is flushed this long after its first row arrived (default 100 ms). */
  flushIntervalMs?: number
  /** Rows kept while the store is down (default 100 000, ≈ 50 MB); past it the oldest are dropped. */
  maxBufferedRows?: number
  /**
   * Queued rows at which `backlog()` asks the engine to wait (default half of `maxBufferedRows`),
   * as long as batches keep being stored; it lets go again at half this number.
   */
  backlogRows?: number
  /** A store that has stored nothing for this long is treated as down, not slow (default 5 s). */
  stallMs?: number
  /** First retry delay after a failed flush (default 100 ms), doubling with jitter up to `retryMaxDelayMs`. */
  retryInitialDelayMs?: number
  /** Longest delay between retries (default 5 s). */
  retryMaxDelayMs?: number
  logger?: Logger
}

const DEFAULT_TIMEOUT_MS = 30_000
const LOG_EVERY_MS = 10_000
const COLUMN_LIST = LINEAGE_COLUMNS.join(', ')

/** A batch being written: bisected into parts when a row in it is rejected. */
interface InflightBatch {
  /** What `take` gave: its buffer goes back to the queue once every part is stored. */
  taken: RowSpan[]
  parts: RowSpan[][]
  /** Sequence number of the batch's first row (rows are numbered in `write` order). */
  firstSeq: number
  /**
   * Write through a staging table, skipping the ids already stored: set after a failure that may
   * have happened after the commit (lost connection), so a retry cannot store a row twice.
   */
  safe: boolean
}

interface FlushWaiter { target: number; resolve(): void }

/**
 * Creates the lineage writer (docs/reference/engine.md, "Lineage"). `write` encodes the row in binary COPY
 * form into a chunk (about a microsecond, never throws, never awaits); one drain loop writes
 * queued rows with `COPY … (FORMAT binary)` (one statement per batch, so a failed batch stores
 * nothing), at most one batch in flight, when `maxBatchRows` are queued or `flushIntervalMs`
 * after the first.
 *
 * Failures: a lost or refused connection keeps the batch and retries it with backoff (through an
 * idempotent staging insert, since the lost batch may have committed); rows queued meanwhile
 * wait, bounded by `maxBufferedRows`. A row the database rejects (bad uuid, NUL in JSON…) is
 * isolated by bisecting its batch and dropped with a warning; the rest are stored. Dropped rows
 * are counted in `stats().dropped`.
 *
 * `db` should be the writer's own (for PostgreSQL a small pool of its own, e.g. `poolSize: 2`);
 * the writer never closes it.
 */
export function createLineageWriter(db: Database, options: LineageWriterOptions = {}): LineageWriter {
  return new BatchedLineageWriter(db, options)
}

class BatchedLineageWriter implements LineageWriter {
  private readonly maxBatchRows: number
  private readonly flushIntervalMs: number
  private readonly retryInitialDelayMs: number
  private readonly retryMaxDelayMs: number
  private readonly logger: Logger
  private readonly encoder = new LineageRowEncoder()
  private readonly queue: LineageRowQueue
  private enqueued = 0
  private written = 0
  private dropped = 0
  private failedFlushes = 0
  private inflight: InflightBatch | undefined
  private draining = false
  private timer: NodeJS.Timeout | undefined
  private waiters: FlushWaiter[] = []
  private closed = false
  private stopping = false
  private wake: (() => void) | undefined
  private outage: {since: number; failures: number; lastLog: number} | undefined
  private lastDropLog = 0
  private lastRejectLog = 0
  private readonly backlogRows: number
  /** Messages waiting for the backlog; stalled when nothing was stored for `stallMs` meanwhile. */
  private readonly behind: WaitGate

  constructor(private readonly db: Database, options: LineageWriterOptions) {
    this.maxBatchRows = Math.max(1, options.maxBatchRows ?? 5000)
    this.flushIntervalMs = options.flushIntervalMs ?? 100
    this.retryInitialDelayMs = options.retryInitialDelayMs ?? 100
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5000
    this.logger = (options.logger ?? silentLogger).child({component: 'lineage-writer'})
    const maxBufferedRows = Math.max(1, options.maxBufferedRows ?? 100_000)
    this.queue = new LineageRowQueue(this.encoder, maxBufferedRows)
    this.backlogRows = Math.max(1, options.backlogRows ?? Math.floor(maxBufferedRows / 2))
    const stallMs = options.stallMs ?? 5_000
    this.behind = new WaitGate(stallMs, () => this.logger.warn({pending: this.pending(), stallMs},
      'lineage store stored nothing for a while: the run goes on without waiting for it'))
  }

  backlog(): Promise<void> | undefined {
    if (this.queue.size < this.backlogRows || this.outage !== undefined || this.closed || this.behind.stalled) return undefined
    return this.behind.wait()
  }

  write(row: NewLineageRow): void {
    if (this.closed) {
      this.drop(1, 'the lineage writer is closed')
      return
    }
    let dropped: number
    try {
      dropped = this.queue.push(row)
    } catch (error) {
      this.reject(1, error)
      return
    }
    if (dropped > 0) this.drop(dropped, 'the lineage buffer is full (store down or too slow)')
    this.enqueued++
    if (this.draining) return
    if (this.queue.size >= this.maxBatchRows) this.kick()
    else if (this.timer === undefined) this.armTimer()
  }

  flush(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const target = this.enqueued
    if (this.settled(target)) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const waiter: FlushWaiter = {
        target,
        resolve: () => {
          clearTimeout(deadline)
          resolve()
        },
      }
      const deadline = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        this.logger.warn({timeoutMs, pending: this.pending()}, 'lineage flush timed out; rows stay queued')
        resolve()
      }, timeoutMs)
      this.waiters.push(waiter)
      this.kick()
    })
  }

  stats(): {written: number; pending: number; failedFlushes: number; dropped: number} {
    return {written: this.written, pending: this.pending(), failedFlushes: this.failedFlushes, dropped: this.dropped}
  }

  async close(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.releaseBacklog(true)
    await this.flush(timeoutMs)
    this.stopping = true
    this.wake?.()
    if (this.timer !== undefined) clearTimeout(this.timer)
    const lost = this.queue.clear()
    if (lost > 0) {
      this.dropped += lost
      this.logger.error({lost}, 'lineage writer closed with rows not stored')
    }
  }

  /** Lets waiting messages go once the queue is down to half the backlog mark (or at once when `force`). */
  private releaseBacklog(force: boolean): void {
    if (force || this.queue.size <= this.backlogRows >> 1) this.behind.release()
  }

  private pending(): number {
    return this.queue.size + (this.inflight?.parts.reduce((n, part) => n + spanRows(part), 0) ?? 0)
  }

  /** Every row numbered below `target` is stored or dropped. */
  private settled(target: number): boolean {
    const queueHeadSeq = this.enqueued - this.queue.size
    return queueHeadSeq >= target && (this.inflight === undefined || this.inflight.firstSeq >= target)
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.kick()
    }, this.flushIntervalMs)
    this.timer.unref()
  }

  private kick(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.draining || this.stopping) return
    this.draining = true
    // Off the caller's stack: `write` stays O(1) and the engine's current tick finishes first.
    setImmediate(() => void this.drain())
  }

  private async drain(): Promise<void> {
    try {
      let first = true
      while (!this.stopping) {
        if (this.inflight === undefined) {
          const urgent = first || this.waiters.length > 0 || this.closed || this.queue.size >= this.maxBatchRows
          if (this.queue.size === 0 || !urgent) break
          const firstSeq = this.enqueued - this.queue.size
          const taken = this.queue.take(this.maxBatchRows)
          this.inflight = {taken, parts: [taken], firstSeq, safe: false}
        }
        first = false
        await this.writeInflight()
        if (this.inflight !== undefined && this.inflight.parts.length === 0) {
          // Every part's COPY has finished (or its rows were dropped): nothing reads the batch's bytes now.
          this.queue.release(this.inflight.taken)
          this.inflight = undefined
        }
        this.resolveWaiters()
      }
    } catch (error) {
      this.logger.error({err: describe(error)}, 'lineage writer drain loop failed')
    } finally {
      this.draining = false
      if (this.stopping && this.inflight !== undefined) {
        this.dropped += this.pending() - this.queue.size
        this.inflight = undefined
      } else if (this.queue.size > 0 && this.timer === undefined && !this.stopping) {
        this.armTimer()
      }
      this.resolveWaiters()
    }
  }

  /** Writes the in-flight batch part by part; returns early only when stopping. */
  private async writeInflight(): Promise<void> {
    const batch = this.inflight as InflightBatch
    let attempt = 0
    while (batch.parts.length > 0 && !this.stopping) {
      const part = batch.parts[0]
      try {
        await this.writeRows(part, batch.safe)
        batch.parts.shift()
        this.written += spanRows(part)
        this.behind.progress()
        this.recovered()
        this.releaseBacklog(false)
        attempt = 0
      } catch (error) {
        const state = sqlState(error)
        if (state === '23505' && !batch.safe) {
          // Some rows are already there (an earlier attempt did commit): store the rest once.
          batch.safe = true
        } else if (state !== undefined && /^(22|23|54)/.test(state)) {
          this.isolateRejected(batch, part, error)
        } else {
          // Unreachable, or the server failed for a reason of its own: keep the batch, retry.
          // Without a SQLSTATE the connection died, possibly after the commit: retry idempotently.
          if (state === undefined) batch.safe = true
          this.failedFlushes++
          this.noteOutage(error)
          await this.sleep(this.backoff(++attempt))
        }
      }
    }
  }

  private isolateRejected(batch: InflightBatch, part: RowSpan[], error: unknown): void {
    const rows = spanRows(part)
    if (rows === 1) {
      batch.parts.shift()
      this.reject(1, error)
      return
    }
    batch.parts.splice(0, 1, ...splitSpans(part, rows >> 1))
  }

  private async writeRows(part: RowSpan[], safe: boolean): Promise<void> {
    const data = copyBody(part)
    if (!safe) {
      await this.db.copyFrom({table: 'lineage', columns: LINEAGE_COLUMNS}, data)
      return
    }
    // The table has no unique index (migration 0006): rows already stored are found by id within
    // the batch's id range (the BRIN index on id), after the lock has waited out a lost attempt
    // still committing on the server (the lock conflicts with the one COPY holds).
    await this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE lineage IN SHARE ROW EXCLUSIVE MODE')
      await tx.query('CREATE TEMP TABLE lineage_incoming (LIKE lineage) ON COMMIT DROP')
      await tx.copyFrom({table: 'lineage_incoming', columns: LINEAGE_COLUMNS}, data)
      await tx.query(`INSERT INTO lineage (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM lineage_incoming
        WHERE id NOT IN (SELECT id FROM lineage
          WHERE id BETWEEN (SELECT id FROM lineage_incoming ORDER BY id LIMIT 1)
            AND (SELECT id FROM lineage_incoming ORDER BY id DESC LIMIT 1))`)
    })
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return
    const still: FlushWaiter[] = []
    for (const waiter of this.waiters) {
      if (this.settled(waiter.target)) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.retryMaxDelayMs, this.retryInitialDelayMs * 2 ** Math.min(attempt - 1, 20))
    return base / 2 + Math.random() * (base / 2)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = () => {
        this.wake = undefined
        done()
      }
    })
  }

  private noteOutage(error: unknown): void {
    const now = Date.now()
    this.releaseBacklog(true)
    if (this.outage === undefined) {
      this.outage = {since: now, failures: 1, lastLog: now}
      this.logger.warn({err: describe(error), pending: this.pending()},
        'lineage store unavailable: rows are kept in memory and retried')
      return
    }
    this.outage.failures++
    if (now - this.outage.lastLog >= LOG_EVERY_MS) {
      this.outage.lastLog = now
      this.logger.warn({err: describe(error), pending: this.pending(), failures: this.outage.failures,
        downForMs: now - this.outage.since, dropped: this.dropped}, 'lineage store still unavailable')
    }
  }

  private recovered(): void {
    if (this.outage === undefined) return
    this.logger.info({downForMs: Date.now() - this.outage.since, failures: this.outage.failures, dropped: this.dropped},
      'lineage store is back: buffered rows are being written')
    this.outage = undefined
  }

  private drop(rows: number, reason: string): void {
    this.dropped += rows
    const now = Date.now()
    if (now - this.lastDropLog < LOG_EVERY_MS) return
    this.lastDropLog = now
    this.logger.warn({dropped: this.dropped, maxBufferedRows: this.queue.capacity}, `lineage rows dropped: ${reason}`)
  }

  private reject(rows: number, error: unknown): void {
    this.dropped += rows
    const now = Date.now()
    if (now - this.lastRejectLog < LOG_EVERY_MS) return
    this.lastRejectLog = now
    this.logger.warn({err: describe(error), dropped: this.dropped}, 'lineage row rejected by the database and dropped')
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
