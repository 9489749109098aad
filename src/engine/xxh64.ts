import {XXH64_WASM_BASE64} from './xxh64-wasm.js'

// xxh64 (seed 0) of a string's UTF-8, in WebAssembly (xxh64.wat), as two 32-bit halves: no BigInt
// and no hex string on the hot path. xxhash-wasm's `h64ToString`, used before, gives the same hash
// but makes two BigInts, a `toString(16)`, a `padStart` and a concatenation per call, and the
// lineage encoder then flattened that string again: 0.30 µs per 1 KiB payload in a loop against
// 0.23 µs now, and +0.02 of lineage-off throughput in the engine benchmark (same-process A/B). The
// module's memory grows to three times the longest text hashed and keeps that size.

// The few WebAssembly types this needs (the project's type libraries do not declare them).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => {exports: {memory: WasmMemory; xxh64(pointer: number, length: number): void}}
}
const wasm = (globalThis as unknown as {WebAssembly: WasmApi}).WebAssembly
const instance = new wasm.Instance(new wasm.Module(Buffer.from(XXH64_WASM_BASE64, 'base64')))
const memory = instance.exports.memory
const hashAt = instance.exports.xxh64
let bytes = Buffer.from(memory.buffer)
let words = new Int32Array(memory.buffer, 0, 2)

const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102])
const PREFIX = 'xxh64:'

/** A payload hash as `stage_input_hash` spells it: `xxh64:` and 16 lowercase hex digits. */
export class Xxh64Digest {
  /** Length of the spelled-out form. */
  static readonly TEXT_LENGTH = PREFIX.length + 16

  /** `high` and `low` are the hash's 32-bit halves as int32 (small integers stay unboxed). */
  constructor(readonly high: number, readonly low: number) {}

  /** Writes the spelled-out form (ASCII, `TEXT_LENGTH` bytes) into `target` at `at`; returns the end offset. */
  writeText(target: Uint8Array, at: number): number {
    for (let i = 0; i < PREFIX.length; i++) target[at + i] = PREFIX.charCodeAt(i)
    let out = at + PREFIX.length
    for (let shift = 28; shift >= 0; shift -= 4) target[out++] = HEX_DIGITS[(this.high >>> shift) & 15]!
    for (let shift = 28; shift >= 0; shift -= 4) target[out++] = HEX_DIGITS[(this.low >>> shift) & 15]!
    return out
  }

  toString(): string {
    return PREFIX + hex8(this.high) + hex8(this.low)
  }

  toJSON(): string {
    return this.toString()
  }
}

function hex8(word: number): string {
  return (word >>> 0).toString(16).padStart(8, '0')
}

/** The xxh64 of `text`'s UTF-8 bytes. */
export function xxh64(text: string): Xxh64Digest {
  // UTF-16 units to UTF-8 bytes: at most 3 bytes each.
  if (text.length * 3 > bytes.length) grow(text.length * 3)
  const length = bytes.write(text, 0, 'utf8')
  hashAt(0, length)
  return new Xxh64Digest(words[1]!, words[0]!)
}

function grow(needed: number): void {
  memory.grow(Math.ceil((needed - bytes.length) / 65_536))
  bytes = Buffer.from(memory.buffer)
  words = new Int32Array(memory.buffer, 0, 2)
}
