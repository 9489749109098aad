/**
 * Counts messages in flight for one execution: published and not yet acked or dead-lettered
 * (docs/reference/engine.md, "Completion"). Publishers `add` before publishing so the count never touches
 * zero while work is still on the way; `done` after the ack. Zero after the first message means
 * every route has drained.
 */
export class CompletionTracker {
  private count = 0
  private started = false
  private resolveDrained!: () => void
  readonly drained: Promise<void> = new Promise((resolve) => { this.resolveDrained = resolve })

  get inFlight(): number {
    return this.count
  }

  add(n: number): void {
    this.started = true
    this.count += n
  }

  done(n: number): void {
    this.count -= n
    if (this.started && this.count <= 0) {
      this.count = 0
      this.resolveDrained()
    }
  }

  /** For an execution that starts with nothing to do (a replay that found no artefacts). */
  finishIfIdle(): void {
    if (this.count === 0) this.resolveDrained()
  }
}
