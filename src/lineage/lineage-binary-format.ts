import {writeFastUuidv7} from '../engine/fast-id.js'
import {Xxh64Digest} from '../engine/xxh64.js'
import type {NewLineageRow} from './types.js'

/** Columns of the `lineage` table in the order the encoder writes them. */
export const LINEAGE_COLUMNS = [
  'id', 'correlation_id', 'message_id', 'parent_id', 'execution_id', 'route_id', 'adapter_name', 'adapter_index',
  'stage_name', 'stage_status', 'stage_input_hash', 'started_at', 'completed_at', 'duration_ms', 'metadata',
  'error_info', 'replay_batch_id',
] as const

const FIELD_COUNT = LINEAGE_COLUMNS.length
/** Fixed bytes per row: field count, 17 length words, five uuids, int4, two int8, float8, jsonb versions. */
const FIXED_ROW_BYTES = 2 + 4 * FIELD_COUNT + 5 * 16 + 4 + 8 + 8 + 8 + 2
/** Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_MS = 946_684_800_000
const TWO_32 = 2 ** 32

const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i
  HEX[65 + i] = 10 + i
}

/**
 * Rows already encoded in PostgreSQL's binary COPY format (one tuple each, no header), in chunks.
 * Binary because it is both the cheapest form to produce here and the cheapest to load there:
 * PostgreSQL and PGlite parse text uuids and timestamps at a real cost (measured on PGlite: ~40k
 * rows/s as text, ~60k as binary), and building a text line (a 35-piece string rope to flatten)
 * cost the engine more than writing bytes into a buffer.
 */
export interface EncodedRows {
  readonly bytes: Uint8Array
  readonly rows: number
}

/**
 * Appends rows to growable chunks. `append` either encodes the whole row or, for a row that
 * cannot be stored (an id that is not a UUID, an invalid time), throws a `RangeError` and leaves
 * the buffer as it was.
 */
export class LineageRowEncoder {
  private buffer: Buffer
  private view: DataView
  private offset = 0
  /** Start offset of each row in `buffer`. */
  private starts: number[] = []
  // execution_id and correlation_id repeat from row to row: their bytes are parsed once.
  private readonly lastExecution = {text: '', bytes: new Uint8Array(16)}
  private readonly lastCorrelation = {text: '', bytes: new Uint8Array(16)}
  /** Buffers of chunks whose rows are gone, for the next chunks (see `recycle`). */
  private readonly spare: Buffer[] = []

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(chunkBytes)
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength)
  }

  /**
   * Takes back the buffer of a chunk this encoder sealed, once nothing reads its rows any more (the
   * caller must not touch `chunk` afterwards). Fresh memory is dear on these VMs: a new 256 KiB
   * chunk per ~1,000 rows cost ~64 page faults at ~12 µs each on the engine's thread.
   */
  recycle(chunk: EncodedChunk): void {
    const backing = chunk.backing
    if (backing !== undefined && backing.length === this.chunkBytes && this.spare.length < SPARE_CHUNKS) this.spare.push(backing)
  }

  /** Rows in the current chunk. */
  get rows(): number {
    return this.starts.length
  }

  /** Encodes `row`; returns the completed chunk when the current one had no room left, else undefined. */
  append(row: NewLineageRow): EncodedChunk | undefined {
    const metadata = jsonText(row.metadata)
    const errorInfo = jsonText(row.error_info)
    const variable = row.route_id.length + row.adapter_name.length + row.stage_name.length + row.stage_status.length +
      hashLength(row.stage_input_hash) + (metadata?.length ?? 0) + (errorInfo?.length ?? 0)
    // UTF-16 units to UTF-8 bytes: at most 3 bytes each.
    const needed = FIXED_ROW_BYTES + 3 * variable
    let sealed: EncodedChunk | undefined
    if (this.offset + needed > this.buffer.length) {
      sealed = this.seal()
      if (needed > this.buffer.length) this.grow(needed)
    }
    const start = this.offset
    try {
      this.writeRow(row, metadata, errorInfo)
    } catch (error) {
      this.offset = start
      throw error
    }
    this.starts.push(start)
    return sealed
  }

  /** Takes the rows encoded so far as a chunk (undefined when there are none) and starts a new one. */
  seal(): EncodedChunk | undefined {
    if (this.starts.length === 0) return undefined
    const chunk = new EncodedChunk(this.buffer.subarray(0, this.offset), this.starts, this.buffer)
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.chunkBytes)
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength)
    this.offset = 0
    this.starts = []
    return chunk
  }

  private grow(bytes: number): void {
    this.buffer = Buffer.allocUnsafe(bytes)
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength)
  }

  private writeRow(row: NewLineageRow, metadata: string | undefined, errorInfo: string | undefined): void {
    this.view.setInt16(this.offset, FIELD_COUNT)
    this.offset += 2
    if (row.id === undefined) {
      this.view.setInt32(this.offset, 16)
      writeFastUuidv7(this.view, this.offset + 4)
      this.offset += 20
    } else {
      this.uuid(row.id, 'id')
    }
    this.cachedUuid(row.correlation_id, 'correlation_id', this.lastCorrelation)
    this.uuid(row.message_id, 'message_id')
    this.nullableUuid(row.parent_id, 'parent_id')
    this.cachedUuid(row.execution_id, 'execution_id', this.lastExecution)
    this.text(row.route_id)
    this.text(row.adapter_name)
    this.int4(row.adapter_index)
    this.text(row.stage_name)
    this.text(row.stage_status)
    this.inputHash(row.stage_input_hash)
    this.timestamp(row.started_at)
    this.nullableTimestamp(row.completed_at)
    this.float8(row.duration_ms)
    this.jsonb(metadata)
    this.jsonb(errorInfo)
    this.nullableUuid(row.replay_batch_id, 'replay_batch_id')
  }

  private nullField(): void {
    this.view.setInt32(this.offset, -1)
    this.offset += 4
  }

  private uuid(value: string, column: string): void {
    if (value.length !== 36 || value.charCodeAt(8) !== 45 || value.charCodeAt(13) !== 45 ||
      value.charCodeAt(18) !== 45 || value.charCodeAt(23) !== 45) {
      throw new RangeError(`lineage ${column} is not a UUID: ${JSON.stringify(value.slice(0, 64))}`)
    }
    const buffer = this.buffer
    this.view.setInt32(this.offset, 16)
    let out = this.offset + 4
    let bad = 0
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++
      const c1 = value.charCodeAt(i)
      const c2 = value.charCodeAt(i + 1)
      if ((c1 | c2) > 127) bad = -1
      const high = HEX[c1 & 0x7f]!
      const low = HEX[c2 & 0x7f]!
      bad |= high | low
      buffer[out++] = (high << 4) | low
    }
    if (bad < 0) throw new RangeError(`lineage ${column} is not a UUID: ${JSON.stringify(value)}`)
    this.offset = out
  }

  private cachedUuid(value: string, column: string, last: {text: string; bytes: Uint8Array}): void {
    if (value !== last.text) {
      this.uuid(value, column)
      last.bytes.set(this.buffer.subarray(this.offset - 16, this.offset))
      last.text = value
      return
    }
    this.view.setInt32(this.offset, 16)
    this.buffer.set(last.bytes, this.offset + 4)
    this.offset += 20
  }

  private nullableUuid(value: string | null | undefined, column: string): void {
    if (value === null || value === undefined) this.nullField()
    else this.uuid(value, column)
  }

  private text(value: string): void {
    const end = this.utf8(value, this.offset + 4)
    this.view.setInt32(this.offset, end - this.offset - 4)
    this.offset = end
  }

  /**
   * Writes `value` as UTF-8 at `at`, NUL (which PostgreSQL text cannot hold) replaced by U+FFFD;
   * returns the end offset. ASCII is copied by hand: a native call per short field costs more.
   */
  private utf8(value: string, at: number): number {
    const buffer = this.buffer
    let out = at
    const n = value.length
    let i = 0
    for (; i < n; i++) {
      const c = value.charCodeAt(i)
      if (c >= 0x80 || c === 0) break
      buffer[out++] = c
    }
    if (i < n) out += buffer.write(value.slice(i).replaceAll('\0', '\uFFFD'), out, 'utf8')
    return out
  }

  private nullableText(value: string | null | undefined): void {
    if (value === null || value === undefined) this.nullField()
    else this.text(value)
  }

  private inputHash(value: string | Xxh64Digest | null): void {
    if (value === null || typeof value === 'string') {
      this.nullableText(value)
      return
    }
    this.view.setInt32(this.offset, Xxh64Digest.TEXT_LENGTH)
    this.offset = value.writeText(this.buffer, this.offset + 4)
  }

  private int4(value: number): void {
    this.view.setInt32(this.offset, 4)
    this.view.setInt32(this.offset + 4, value)
    this.offset += 8
  }

  private float8(value: number | null | undefined): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.nullField()
    this.view.setInt32(this.offset, 8)
    this.view.setFloat64(this.offset + 4, value)
    this.offset += 12
  }

  /** timestamptz: a signed 64-bit count of microseconds since 2000-01-01 UTC. */
  private timestamp(value: number | Date): void {
    const epochMs = typeof value === 'number' ? value : value.getTime()
    if (!Number.isFinite(epochMs)) throw new RangeError(`lineage time is not a valid time: ${String(value)}`)
    const micros = Math.round((epochMs - PG_EPOCH_MS) * 1000)
    const high = Math.floor(micros / TWO_32)
    this.view.setInt32(this.offset, 8)
    this.view.setInt32(this.offset + 4, high)
    this.view.setUint32(this.offset + 8, micros - high * TWO_32)
    this.offset += 12
  }

  private nullableTimestamp(value: number | Date | null | undefined): void {
    if (value === null || value === undefined) this.nullField()
    else this.timestamp(value)
  }

  /** jsonb's binary form: a version byte (1), then the JSON text. */
  private jsonb(json: string | undefined): void {
    if (json === undefined) return this.nullField()
    this.buffer[this.offset + 4] = 1
    const end = this.utf8(json, this.offset + 5)
    this.view.setInt32(this.offset, end - this.offset - 4)
    this.offset = end
  }
}

/** Chunk buffers an encoder keeps for reuse: enough for a batch's worth of rows. */
const SPARE_CHUNKS = 8

/**
 * A sealed chunk of encoded rows; `slice` gives the bytes of rows [from, to). `backing` is the
 * buffer `bytes` lies in, when it may be reused once the rows are gone; `framed`, when set, is
 * `bytes` with the binary COPY header before and the trailer after: a complete COPY body.
 */
export class EncodedChunk {
  constructor(
    readonly bytes: Uint8Array,
    private readonly starts: readonly number[],
    readonly backing?: Buffer,
    readonly framed?: Uint8Array,
  ) {}

  get rows(): number {
    return this.starts.length
  }

  slice(from: number, to: number): Uint8Array {
    return this.bytes.subarray(this.starts[from]!, this.end(to))
  }

  /** Bytes of rows [from, to). */
  byteLength(from: number, to: number): number {
    return this.end(to) - this.starts[from]!
  }

  /**
   * Copies rows [from, to) into `target` at `at`, appending their start offsets (relative to
   * `base`) to `starts`; returns the end offset.
   */
  copyRows(from: number, to: number, target: Buffer, at: number, base: number, starts: number[]): number {
    const first = this.starts[from]!
    for (let row = from; row < to; row++) starts.push(this.starts[row]! - first + at - base)
    target.set(this.bytes.subarray(first, this.end(to)), at)
    return at + this.end(to) - first
  }

  private end(to: number): number {
    return to >= this.starts.length ? this.bytes.length : this.starts[to]!
  }
}

/** UTF-16 units of `stage_input_hash` as text (a digest is ASCII). */
function hashLength(value: string | Xxh64Digest | null): number {
  return value === null ? 0 : typeof value === 'string' ? value.length : Xxh64Digest.TEXT_LENGTH
}

/** The JSON of a jsonb column, or undefined for SQL null. jsonb rejects `\u0000`; it becomes U+FFFD. */
function jsonText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  let encoded: string
  try {
    encoded = JSON.stringify(value)
  } catch (error) {
    // Circular or BigInt metadata must not cost the row: keep it, say why its JSON is missing.
    encoded = JSON.stringify({serialization_error: error instanceof Error ? error.message : String(error)})
  }
  if (encoded.includes('\\u0000')) encoded = JSON.stringify(value, (_key, v: unknown) => typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : v)
  return encoded
}
