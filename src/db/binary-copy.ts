/** Start of a binary COPY stream: signature `PGCOPY\n\377\r\n\0`, flags (0), header-extension length (0). */
export const COPY_BINARY_HEADER = Uint8Array.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
])
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/** End of a binary COPY stream: a field count of -1. */
export const COPY_BINARY_TRAILER = Uint8Array.from([0xff, 0xff])

/** A complete binary COPY stream of rows already encoded (tuples without header or trailer). */
export function copyBinaryStream(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat([COPY_BINARY_HEADER, ...parts, COPY_BINARY_TRAILER])
}

/**
 * Builds the body of `COPY … FROM … WITH (FORMAT binary)` (PostgreSQL's binary COPY format: a
 * signature, then per row a field count and each field as length + the type's binary "send" form).
 * Used where text parsing dominates a bulk write: pgvector parses a 384-float text literal in
 * ~1.1 ms on PGlite (WASM strtof), its binary form costs next to nothing.
 *
 * Call `row(n)`, then exactly n field methods in column order, for every row; `finish()` once.
 * Written here (not taken from a library) because the only maintained encoders for Node stream
 * through pg-copy-streams, and PGlite takes the whole body as one blob.
 */
export class BinaryCopyWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024)
  private length = 0

  constructor() {
    this.bytes(COPY_BINARY_HEADER)
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.reserve(2)
    this.buffer.writeInt16BE(fields, this.length)
    this.length += 2
    return this
  }

  null(): this {
    this.int32(-1)
    return this
  }

  /** `text` / `varchar`: UTF-8 bytes; undefined and null write SQL NULL. */
  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.null()
    const size = Buffer.byteLength(value)
    this.reserve(4 + size)
    this.buffer.writeInt32BE(size, this.length)
    this.buffer.write(value, this.length + 4, 'utf8')
    this.length += 4 + size
    return this
  }

  int4(value: number): this {
    this.int32(4)
    this.int32(value)
    return this
  }

  /** `uuid` from its canonical text form. */
  uuid(value: string): this {
    const hex = value.replace(/-/g, '')
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a UUID: ${value}`)
    this.int32(16)
    this.bytes(Buffer.from(hex, 'hex'))
    return this
  }

  /** `jsonb`: format version 1, then the JSON text. */
  jsonb(value: unknown): this {
    const json = JSON.stringify(value)
    const size = Buffer.byteLength(json)
    this.reserve(5 + size)
    this.buffer.writeInt32BE(size + 1, this.length)
    this.buffer[this.length + 4] = 1
    this.buffer.write(json, this.length + 5, 'utf8')
    this.length += 5 + size
    return this
  }

  /** pgvector's `vector`: int16 dimensions, int16 unused, then float4 big-endian. */
  vector(values: Float32Array): this {
    this.reserve(8 + 4 * values.length)
    this.buffer.writeInt32BE(4 + 4 * values.length, this.length)
    this.buffer.writeInt16BE(values.length, this.length + 4)
    this.buffer.writeInt16BE(0, this.length + 6)
    this.floatsBE(values, this.length + 8)
    this.length += 8 + 4 * values.length
    return this
  }

  /** `real[]` (one dimension, lower bound 1, no nulls). */
  float4Array(values: Float32Array): this {
    this.reserve(24 + 8 * values.length)
    this.buffer.writeInt32BE(20 + 8 * values.length, this.length)
    this.buffer.writeInt32BE(1, this.length + 4) // dimensions
    this.buffer.writeInt32BE(0, this.length + 8) // has nulls
    this.buffer.writeInt32BE(700, this.length + 12) // element type: float4
    this.buffer.writeInt32BE(values.length, this.length + 16)
    this.buffer.writeInt32BE(1, this.length + 20) // lower bound
    let at = this.length + 24
    for (let i = 0; i < values.length; i++, at += 8) {
      this.buffer.writeInt32BE(4, at)
      this.buffer.writeFloatBE(values[i]!, at + 4)
    }
    this.length = at
    return this
  }

  /** The complete body (with the end-of-data marker); the writer must not be used afterwards. */
  finish(): Uint8Array {
    this.bytes(COPY_BINARY_TRAILER)
    // An exact-size copy: posting a view to the PGlite worker would clone its whole backing buffer.
    return new Uint8Array(this.buffer.buffer.slice(this.buffer.byteOffset, this.buffer.byteOffset + this.length))
  }

  // The floats' bytes copied whole, then swapped to big-endian in place by one native call: ~10x
  // less than one writeFloatBE per value on a 768-dim vector (this machine is little-endian).
  private floatsBE(values: Float32Array, at: number): void {
    this.buffer.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at)
    if (LITTLE_ENDIAN) this.buffer.subarray(at, at + values.byteLength).swap32()
  }

  private int32(value: number): void {
    this.reserve(4)
    this.buffer.writeInt32BE(value, this.length)
    this.length += 4
  }

  private bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
  }

  private reserve(size: number): void {
    if (this.length + size <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + size))
    this.buffer.copy(grown, 0, 0, this.length)
    this.buffer = grown
  }
}
