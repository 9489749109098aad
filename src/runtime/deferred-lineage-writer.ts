import {WaitGate} from '../engine/wait-gate.js'
import type {NewLineageRow, LineageWriter} from '../lineage/types.js'
import type {Logger} from '../logging/logger.js'

/**
 * A `LineageWriter` usable before the database is open, so a run starts without waiting for it
 * (PGlite takes seconds to start). Rows are held (bounded, oldest dropped and counted) until
 * `attach` hands over the real writer; if the database never opens, `fail` drops what was held.
 */
export class DeferredLineageWriter implements LineageWriter {
  private held: NewLineageRow[] = []
  private target: LineageWriter | undefined
  private dropped = 0
  private failed = false
  /** Messages waiting for the database to open; stalled (never waited on again) after `maxWaitMs`. */
  private readonly opened: WaitGate

  /**
   * `backlogRows` held rows make `backlog()` ask the engine to wait for the database (default
   * 50 000, what the batched writer takes without dropping), for at most `maxWaitMs` (default 30 s).
   */
  constructor(
    private readonly maxHeldRows: number, private readonly logger: Logger,
    private readonly backlogRows = Math.min(50_000, maxHeldRows), maxWaitMs = 30_000,
  ) {
    this.opened = new WaitGate(maxWaitMs, () => this.logger.warn({waitedMs: maxWaitMs},
      'the database is still opening: the run goes on, holding lineage rows in memory'))
  }

  attach(writer: LineageWriter): void {
    this.target = writer
    for (const row of this.held) writer.write(row)
    this.held = []
    this.opened.release()
  }

  /** The database could not be opened: held rows are lost (and counted); later rows are dropped. */
  fail(): void {
    this.failed = true
    this.dropped += this.held.length
    this.held = []
    this.opened.release()
  }

  /**
   * Before the database is open: past `backlogRows` held rows, a promise for its opening, so a fast
   * source does not outrun what can be handed over without loss. Never longer than `maxWaitMs`.
   */
  backlog(): Promise<void> | undefined {
    if (this.target) return this.target.backlog?.()
    if (this.failed || this.opened.stalled || this.held.length < this.backlogRows) return undefined
    return this.opened.wait()
  }

  write(row: NewLineageRow): void {
    if (this.target) return this.target.write(row)
    if (this.failed) {
      this.dropped++
      return
    }
    if (this.held.length >= this.maxHeldRows) {
      this.held.shift()
      if (this.dropped++ === 0) this.logger.warn({max: this.maxHeldRows}, 'lineage buffer full while the database opens: dropping the oldest rows')
    }
    this.held.push(row)
  }

  async flush(timeoutMs?: number): Promise<void> {
    await this.target?.flush(timeoutMs)
  }

  stats(): ReturnType<LineageWriter['stats']> {
    const inner = this.target?.stats() ?? {written: 0, pending: 0, failedFlushes: 0, dropped: 0}
    return {...inner, pending: inner.pending + this.held.length, dropped: inner.dropped + this.dropped}
  }

  async close(timeoutMs?: number): Promise<void> {
    this.opened.release()
    await this.target?.close(timeoutMs)
  }
}

/** For runs with lineage turned off. */
export const noopLineageWriter: LineageWriter = {
  write() {},
  async flush() {},
  stats: () => ({written: 0, pending: 0, failedFlushes: 0, dropped: 0}),
  async close() {},
}
