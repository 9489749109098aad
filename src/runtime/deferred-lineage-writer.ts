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

  constructor(private readonly maxHeldRows: number, private readonly logger: Logger) {}

  attach(writer: LineageWriter): void {
    this.target = writer
    for (const row of this.held) writer.write(row)
    this.held = []
  }

  /** The database could not be opened: held rows are lost (and counted); later rows are dropped. */
  fail(): void {
    this.failed = true
    this.dropped += this.held.length
    this.held = []
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
