/**
 * A fixed-capacity FIFO of strings: O(1) push, drop-oldest and size, batch takes without shifting a
 * large array (the lineage buffer holds up to ~100k rows during an outage).
 */
export class LineRing {
  private readonly slots: (string | undefined)[]
  private head = 0
  private count = 0

  constructor(readonly capacity: number) {
    this.slots = new Array<string | undefined>(capacity)
  }

  get size(): number {
    return this.count
  }

  /** Appends `line`; when full, first drops the oldest line and returns true. */
  push(line: string): boolean {
    let dropped = false
    if (this.count === this.capacity) {
      this.dropOldest()
      dropped = true
    }
    this.slots[(this.head + this.count) % this.capacity] = line
    this.count++
    return dropped
  }

  /** Removes and returns up to `max` of the oldest lines, oldest first. */
  take(max: number): string[] {
    const n = Math.min(max, this.count)
    const out = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const index = (this.head + i) % this.capacity
      out[i] = this.slots[index] as string
      this.slots[index] = undefined
    }
    this.head = (this.head + n) % this.capacity
    this.count -= n
    return out
  }

  /** Removes every line; returns how many there were. */
  clear(): number {
    const n = this.count
    this.take(n)
    return n
  }

  private dropOldest(): void {
    this.slots[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.count--
  }
}
