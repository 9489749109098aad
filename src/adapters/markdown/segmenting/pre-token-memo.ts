/**
 * Token counts of pre-tokens already seen, looked up by position in a text, so a pre-token met
 * again costs a hash of its characters and one comparison — no substring, no match array (with a
 * `Map<string, number>` every occurrence allocated its key, and hashing it was most of a lookup).
 * Open addressing with linear probing; the table doubles at half full and is emptied when it holds
 * `maxEntries` (a corpus' vocabulary fits easily).
 */
export class PreTokenMemo {
  private keys: Array<string | undefined>
  private counts: Int32Array
  private hashes: Int32Array
  private size = 0

  constructor(private readonly maxEntries: number, initialSlots = 1 << 14) {
    this.keys = new Array<string | undefined>(initialSlots)
    this.counts = new Int32Array(initialSlots)
    this.hashes = new Int32Array(initialSlots)
  }

  /** FNV-1a over the UTF-16 units of `text[start, end)`. */
  static hash(text: string, start: number, end: number): number {
    let hash = 0x811c9dc5
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
    return hash
  }

  /** The count stored for `text[start, end)` (whose hash is `hash`), or -1. */
  get(text: string, start: number, end: number, hash: number): number {
    const mask = this.keys.length - 1
    const length = end - start
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const key = this.keys[slot]
      if (key === undefined) return -1
      if (this.hashes[slot] === hash && key.length === length && text.startsWith(key, start)) return this.counts[slot]
    }
  }

  set(key: string, hash: number, count: number): void {
    if (this.size >= this.maxEntries) this.clear()
    if ((this.size + 1) * 2 > this.keys.length) this.grow()
    this.insert(key, hash, count)
    this.size++
  }

  private insert(key: string, hash: number, count: number): void {
    const mask = this.keys.length - 1
    let slot = hash & mask
    while (this.keys[slot] !== undefined) slot = (slot + 1) & mask
    this.keys[slot] = key
    this.hashes[slot] = hash
    this.counts[slot] = count
  }

  private grow(): void {
    const {keys, hashes, counts} = this
    this.keys = new Array<string | undefined>(keys.length * 2)
    this.hashes = new Int32Array(keys.length * 2)
    this.counts = new Int32Array(keys.length * 2)
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot]
      if (key !== undefined) this.insert(key, hashes[slot], counts[slot])
    }
  }

  private clear(): void {
    this.keys = new Array<string | undefined>(this.keys.length)
    this.size = 0
  }
}
