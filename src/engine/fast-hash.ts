/**
 * Seeded 32-bit FNV-1a over the UTF-16 code units of `first`, a separator, then `second`, with the
 * murmur3 finaliser. Not cryptographic: for ids and change-detection keys computed on the hot path,
 * where `crypto.createHash` costs more than the work it labels.
 */
export function hash32(first: string, second: string, seed: number): number {
  let h = seed >>> 0
  for (let i = 0; i < first.length; i++) h = Math.imul(h ^ first.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ 0x1f, 0x01000193)
  for (let i = 0; i < second.length; i++) h = Math.imul(h ^ second.charCodeAt(i), 0x01000193)
  return fmix32(h)
}

/** murmur3's 32-bit finaliser: spreads FNV's weak low bits over the whole word. */
export function fmix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
