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
  private waiters: Array<() => void> = []
  private waitTimer: NodeJS.Timeout | undefined
  private gaveUpWaiting = false

  /**
   * `backlogRows` held rows make `backlog()` ask the engine to wait for the database (default
   * 50 000, what the batched writer takes without dropping), for at most `maxWaitMs` (default 30 s).
   */
  constructor(
    private readonly maxHeldRows: number, private readonly logger: Logger,
    private readonly backlogRows = Math.min(50_000, maxHeldRows), private readonly maxWaitMs = 30_000,
  ) {}

  attach(writer: LineageWriter): void {
    this.target = writer
    for (const row of this.held) writer.write(row)
    this.held = []
    this.release()
  }

  /** The database could not be opened: held rows are lost (and counted); later rows are dropped. */
  fail(): void {
    this.failed = true
    this.dropped += this.held.length
    this.held = []
    this.release()
  }

  /**
   * Before the database is open: past `backlogRows` held rows, a promise for its opening, so a fast
   * source does not outrun what can be handed over without loss. Never longer than `maxWaitMs`.
   */
  backlog(): Promise<void> | undefined {
    if (this.target) return this.target.backlog?.()
    if (this.failed || this.gaveUpWaiting || this.held.length < this.backlogRows) return undefined
    if (this.waitTimer === undefined) {
      this.waitTimer = setTimeout(() => {
        this.gaveUpWaiting = true
        this.logger.warn({waitedMs: this.maxWaitMs}, 'the database is still opening: the run goes on, holding lineage rows in memory')
        this.release()
      }, this.maxWaitMs)
      this.waitTimer.unref()
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  private release(): void {
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer)
    this.waitTimer = undefined
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
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
    this.release()
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
