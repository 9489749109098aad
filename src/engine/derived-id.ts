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
  const timestamp = parentId.replaceAll('-', '').slice(0, 12)
  const randA = hex(a >>> 20, 3)
  const variant = (8 | ((a >>> 18) & 0x3)).toString(16)
  const tail = hex((a >>> 3) & 0x7fff, 4).slice(1) + hex(b, 8) + hex(c, 8)
  const rest = `${variant}${tail}`
  return `${timestamp.slice(0, 8)}-${timestamp.slice(8, 12)}-7${randA}-${rest.slice(0, 4)}-${rest.slice(4, 16)}`
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0').slice(-width)
}
