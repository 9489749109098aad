import {COPY_BINARY_HEADER, COPY_BINARY_TRAILER, copyBinaryStream} from '../db/binary-copy.js'
import {EncodedChunk, type LineageRowEncoder} from './lineage-binary-format.js'
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
 *
 * Memory is reused, not allocated per batch: `take` copies the rows it takes into a batch buffer,
 * already framed as a COPY body, and hands the chunks they came from back to the encoder; the
 * writer gives the batch buffer back with `release` once the batch is stored.
 */
export class LineageRowQueue {
  private readonly chunks: EncodedChunk[] = []
  /** Rows of `chunks[0]` already taken or dropped. */
  private headRow = 0
  private sealedRows = 0
  /** A released batch buffer, for the next `take`. */
  private spareBatch: Buffer | undefined

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

  /**
   * Removes and returns up to `max` of the oldest rows, oldest first: one span over a batch of
   * their own (`copyBody` gives its COPY body without copying), or none.
   */
  take(max: number): RowSpan[] {
    if (this.sealedRows < max) this.sealOpenChunk()
    let wanted = Math.min(max, this.sealedRows)
    if (wanted === 0) return []
    let bytes = 0
    for (let i = 0, head = this.headRow, left = wanted; left > 0; i++, head = 0) {
      const chunk = this.chunks[i]!
      const to = Math.min(chunk.rows, head + left)
      bytes += chunk.byteLength(head, to)
      left -= to - head
    }
    const header = COPY_BINARY_HEADER.length
    const size = header + bytes + COPY_BINARY_TRAILER.length
    let buffer = this.spareBatch
    this.spareBatch = undefined
    if (buffer === undefined || buffer.length < size) buffer = Buffer.allocUnsafe(size)
    buffer.set(COPY_BINARY_HEADER, 0)
    const starts: number[] = []
    let at = header
    while (wanted > 0) {
      const chunk = this.chunks[0]!
      const to = Math.min(chunk.rows, this.headRow + wanted)
      at = chunk.copyRows(this.headRow, to, buffer, at, header, starts)
      wanted -= to - this.headRow
      this.consume(to - this.headRow)
    }
    buffer.set(COPY_BINARY_TRAILER, at)
    const batch = new EncodedChunk(buffer.subarray(header, at), starts, buffer, buffer.subarray(0, at + COPY_BINARY_TRAILER.length))
    return [{chunk: batch, from: 0, to: starts.length}]
  }

  /** Takes back the buffer of spans from `take` once they are stored; they must not be read again. */
  release(spans: readonly RowSpan[]): void {
    const backing = spans[0]?.chunk.backing
    if (backing !== undefined && (this.spareBatch === undefined || this.spareBatch.length < backing.length)) this.spareBatch = backing
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
      this.encoder.recycle(this.chunks.shift()!)
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

/** The binary COPY body of `spans`: the batch's own framed bytes when they are all of a batch, else a new buffer. */
export function copyBody(spans: readonly RowSpan[]): Uint8Array {
  const only = spans.length === 1 ? spans[0]! : undefined
  if (only?.chunk.framed !== undefined && only.from === 0 && only.to === only.chunk.rows) return only.chunk.framed
  return copyBinaryStream(spanBytes(spans))
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
