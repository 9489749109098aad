import {randomBytes} from 'node:crypto'

/**
 * UUIDv7 ids for lineage rows, one per adapter invocation: the 48-bit millisecond timestamp, then
 * 42 random bits drawn once per process and a 32-bit counter. Unique within the process by the
 * counter, across processes by the random part. The `uuid` package draws fresh random bytes for
 * every id (`randomFillSync` was ~4% of the engine's time with lineage on); rows need uniqueness
 * and time order, not unpredictability.
 */
const processBits = randomBytes(6)
// 12 bits (rand_a) and 30 bits (top of rand_b, after the 2 variant bits), fixed per process.
const randA = ((processBits[0]! << 4) | (processBits[1]! >> 4)).toString(16).padStart(3, '0')
const randB30 = (((processBits[2]! & 0x3f) << 24) | (processBits[3]! << 16) | (processBits[4]! << 8) | processBits[5]!) >>> 0
const variantNibble = (0x8 | (randB30 >>> 28)).toString(16)
const randBRest = (randB30 & 0x0fffffff).toString(16).padStart(7, '0')
let counter = (randomBytes(4).readUInt32BE(0)) >>> 0
let lastMs = -1
let timeHex = ''

export function fastUuidv7(): string {
  const now = Date.now()
  if (now !== lastMs) {
    lastMs = now
    timeHex = now.toString(16).padStart(12, '0')
  }
  counter = (counter + 1) >>> 0
  const count = counter.toString(16).padStart(8, '0')
  // xxxxxxxx-xxxx-7aaa-vbbb-bbbbcccccccc
  return `${timeHex.slice(0, 8)}-${timeHex.slice(8, 12)}-7${randA}-${variantNibble}${randBRest.slice(0, 3)}-${randBRest.slice(3)}${count}`
}

const VARIANT_WORD = (((0x8 | (randB30 >>> 28)) << 12) | ((randB30 & 0x0fffffff) >>> 16)) & 0xffff
const RAND_B_LOW = randB30 & 0xffff
const VERSION_WORD = 0x7000 | ((processBits[0]! << 4) | (processBits[1]! >> 4))

/**
 * Writes a `fastUuidv7` as its 16 bytes at `offset` (same process bits, same counter, so ids from
 * both forms never collide). For binary COPY, where formatting the text form only to parse it
 * back would be wasted work.
 */
export function writeFastUuidv7(view: DataView, offset: number): void {
  const now = Date.now()
  counter = (counter + 1) >>> 0
  const high = Math.floor(now / 0x10000)
  view.setUint32(offset, high)
  view.setUint16(offset + 4, now - high * 0x10000)
  view.setUint16(offset + 6, VERSION_WORD)
  view.setUint16(offset + 8, VARIANT_WORD)
  view.setUint16(offset + 10, RAND_B_LOW)
  view.setUint32(offset + 12, counter)
}
