/**
 * A growable ring buffer: O(1) push/shift/unshift at both ends, no `Array#shift` copying on big
 * queues. Written here rather than taken from a library because it sits on the in-process broker's
 * hot path and must clear vacated slots (so delivered messages are collectable at once) and give
 * memory back when a large backlog drains.
 */
const MIN_CAPACITY = 16

export class Deque<T> {
  private slots: (T | undefined)[]
  private head = 0
  private size = 0
  /** capacity - 1; capacity is always a power of two. */
  private mask: number

  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY
    while (capacity < initialCapacity) capacity *= 2
    this.slots = new Array<T | undefined>(capacity)
    this.mask = capacity - 1
  }

  get length(): number {
    return this.size
  }

  /** Current backing capacity (for tests and diagnostics). */
  get capacity(): number {
    return this.mask + 1
  }

  push(item: T): void {
    if (this.size > this.mask) this.resize((this.mask + 1) * 2)
    this.slots[(this.head + this.size) & this.mask] = item
    this.size++
  }

  unshift(item: T): void {
    if (this.size > this.mask) this.resize((this.mask + 1) * 2)
    this.head = (this.head - 1) & this.mask
    this.slots[this.head] = item
    this.size++
  }

  /** Removes and returns the first item; undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined
    const item = this.slots[this.head]
    this.slots[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.size--
    // Shrink with hysteresis (a quarter full) so alternating push/shift never thrashes.
    if (this.mask >= MIN_CAPACITY * 4 && this.size <= (this.mask + 1) >>> 2) this.resize((this.mask + 1) >>> 1)
    return item
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head]
  }

  /** Drops every item and returns to the minimum capacity. */
  clear(): void {
    this.slots = new Array<T | undefined>(MIN_CAPACITY)
    this.mask = MIN_CAPACITY - 1
    this.head = 0
    this.size = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.slots[(this.head + i) & this.mask] as T
  }

  private resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity)
    for (let i = 0; i < this.size; i++) next[i] = this.slots[(this.head + i) & this.mask]
    this.slots = next
    this.head = 0
    this.mask = capacity - 1
  }
}
