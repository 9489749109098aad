import type {EncodedChunk, LineageRowEncoder} from './lineage-binary-format.js'
import type {NewLineageRow} from './types.js'

/** Rows [from, to) of one encoded chunk. */
export interface RowSpan {
  chunk: EncodedChunk
  from: number
  to: number
}

/**
 * The lineage writer's buffer: a bounded FIFO of encoded rows. Rows are encoded on `push` into the
 * encoder's open chunk; `take` seals it when it needs its rows. Past `capacity` the oldest rows are
 * dropped (the store is down or too slow, and memory must stay bounded).
 */
export class LineageRowQueue {
  private readonly chunks: EncodedChunk[] = []
  /** Rows of `chunks[0]` already taken or dropped. */
  private headRow = 0
  private sealedRows = 0

  constructor(private readonly encoder: LineageRowEncoder, readonly capacity: number) {}

  get size(): number {
    return this.sealedRows + this.encoder.rows
  }

  /**
   * Encodes and queues `row`; returns how many old rows were dropped to make room.
   * @throws RangeError for a row that cannot be stored (nothing is queued then).
   */
  push(row: NewLineageRow): number {
    const sealed = this.encoder.append(row)
    if (sealed !== undefined) this.addChunk(sealed)
    const over = this.size - this.capacity
    return over > 0 ? this.dropOldest(over) : 0
  }

  /** Removes and returns up to `max` of the oldest rows, oldest first. */
  take(max: number): RowSpan[] {
    if (this.sealedRows < max) this.sealOpenChunk()
    const spans: RowSpan[] = []
    let wanted = Math.min(max, this.sealedRows)
    while (wanted > 0) {
      const chunk = this.chunks[0]!
      const to = Math.min(chunk.rows, this.headRow + wanted)
      spans.push({chunk, from: this.headRow, to})
      this.consume(to - this.headRow)
      wanted -= spans[spans.length - 1]!.to - spans[spans.length - 1]!.from
    }
    return spans
  }

  /** Removes every row; returns how many there were. */
  clear(): number {
    const n = this.size
    this.sealOpenChunk()
    this.chunks.length = 0
    this.headRow = 0
    this.sealedRows = 0
    return n
  }

  private dropOldest(count: number): number {
    if (this.sealedRows < count) this.sealOpenChunk()
    let left = Math.min(count, this.sealedRows)
    while (left > 0) {
      const n = Math.min(left, this.chunks[0]!.rows - this.headRow)
      this.consume(n)
      left -= n
    }
    return count
  }

  private consume(rows: number): void {
    this.headRow += rows
    this.sealedRows -= rows
    if (this.headRow === this.chunks[0]!.rows) {
      this.chunks.shift()
      this.headRow = 0
    }
  }

  private sealOpenChunk(): void {
    const sealed = this.encoder.seal()
    if (sealed !== undefined) this.addChunk(sealed)
  }

  private addChunk(chunk: EncodedChunk): void {
    this.chunks.push(chunk)
    this.sealedRows += chunk.rows
  }
}

export function spanRows(spans: readonly RowSpan[]): number {
  let rows = 0
  for (const span of spans) rows += span.to - span.from
  return rows
}

export function spanBytes(spans: readonly RowSpan[]): Uint8Array[] {
  return spans.map((span) => span.chunk.slice(span.from, span.to))
}

/** Splits `spans` after its first `rows` rows. */
export function splitSpans(spans: readonly RowSpan[], rows: number): [RowSpan[], RowSpan[]] {
  const first: RowSpan[] = []
  const rest: RowSpan[] = []
  let left = rows
  for (const span of spans) {
    const n = span.to - span.from
    if (left >= n) {
      first.push(span)
      left -= n
    } else if (left > 0) {
      first.push({chunk: span.chunk, from: span.from, to: span.from + left})
      rest.push({chunk: span.chunk, from: span.from + left, to: span.to})
      left = 0
    } else {
      rest.push(span)
    }
  }
  return [first, rest]
}
