/**
 * Callers that must wait until someone else has caught up (a queue drained, a store wrote its
 * backlog), released together — but never for a party that has stopped moving: when nothing called
 * `progress()` for `stallMs` while callers waited, the gate lets them go and is `stalled` (callers
 * should stop waiting on it) until the next `progress()`. A hang then costs `stallMs` once, not
 * the whole run.
 *
 * Shared by the memory broker's flow control, the lineage writer's backlog and the lineage held
 * while the database opens.
 */
export class WaitGate {
  private waiters: Array<() => void> = []
  private timer: NodeJS.Timeout | undefined
  /** When `progress()` was last called, or a wait began. */
  private progressAt = 0
  private stalledFlag = false

  /** `onStall` runs when waiting callers are let go because nothing moved for `stallMs`. */
  constructor(private readonly stallMs: number, private readonly onStall?: () => void) {}

  /** Nothing moved for `stallMs` while callers waited, and nothing has since. */
  get stalled(): boolean {
    return this.stalledFlag
  }

  /** How many callers wait. */
  get waiting(): number {
    return this.waiters.length
  }

  /** A promise that resolves at the next `release()` (or stall). */
  wait(): Promise<void> {
    if (this.waiters.length === 0) {
      // A wait begins: the other party has `stallMs` from now (or from its last progress) to move.
      this.progressAt = Math.max(this.progressAt, Date.now())
      this.arm()
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  /** The other party moved: not stalled. Cheap enough to call on every step. */
  progress(): void {
    this.stalledFlag = false
    if (this.waiters.length > 0) this.progressAt = Date.now()
  }

  /** Lets every waiting caller go. */
  release(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.waiters.length === 0) return
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.waiters.length === 0) return
      if (Date.now() - this.progressAt >= this.stallMs) {
        this.stalledFlag = true
        this.onStall?.()
        this.release()
      } else {
        this.arm()
      }
    }, Math.max(10, this.progressAt + this.stallMs - Date.now()))
    // Not unref'd: it runs only while callers wait, and they must not be left with an event loop
    // that has nothing else to do (the process would exit with code 13 under their feet).
  }
}
