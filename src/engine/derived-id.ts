import {hash32} from './fast-hash.js'

/**
 * A UUIDv7 derived from a parent UUIDv7 and a discriminator: the parent's 48-bit timestamp, then
 * 74 hash bits. Messages emitted while processing a message get derived ids, so when a message is
 * redelivered (crash before ack) its children carry the same ids again and every storage key
 * derived from them is overwritten, not duplicated.
 *
 * The hash is three seeded passes of `hash32` (fast-hash.ts), not sha1: it runs for
 * every published message, and a crypto hash cost ~8% of the engine's time. Ids only need to be
 * unique within an execution (collision odds at a million messages are ~1e-10).
 */
export function derivedId(parentId: string, discriminator: string): string {
  const a = hash32(parentId, discriminator, 0x811c9dc5)
  const b = hash32(parentId, discriminator, 0x01000193)
  const c = hash32(parentId, discriminator, 0x5bd1e995)
  // xxxxxxxx-xxxx-7aaa-vbbb-bbbbbbbbbbbb: timestamp from the parent, then 74 hash bits.
  return `${parentId.slice(0, 13)}-7${hex3(a >>> 20)}-${HEX[8 | ((a >>> 18) & 0x3)]}${hex3((a >>> 6) & 0xfff)}-${hex8(b)}${hex4(c >>> 16)}`
}

const HEX = '0123456789abcdef'
const BYTE_HEX = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'))

function hex3(v: number): string {
  return HEX[(v >>> 8) & 0xf]! + BYTE_HEX[v & 0xff]!
}

function hex4(v: number): string {
  return BYTE_HEX[(v >>> 8) & 0xff]! + BYTE_HEX[v & 0xff]!
}

function hex8(v: number): string {
  return BYTE_HEX[(v >>> 24) & 0xff]! + BYTE_HEX[(v >>> 16) & 0xff]! + BYTE_HEX[(v >>> 8) & 0xff]! + BYTE_HEX[v & 0xff]!
}
