import type {Outcome} from './types.js'

/**
 * Message ids (per subscription) this process has settled or is running, so that a message the
 * broker hands over a second time — its ack was lost with a dropped connection, or a publish was
 * retried after its confirm was lost — is acked without running its handler again. Bounded: the
 * oldest acked ids are forgotten first (a second delivery comes soon after the first, if at all).
 */
export class SettledIds {
  private readonly acked = new Map<string, true>()
  private readonly inFlight = new Map<string, Promise<Outcome>>()

  constructor(private readonly capacity = 100_000) {}

  get(key: string): 'ack' | Promise<Outcome> | undefined {
    return this.inFlight.get(key) ?? (this.acked.has(key) ? 'ack' : undefined)
  }

  running(key: string, outcome: Promise<Outcome>): void {
    this.inFlight.set(key, outcome)
  }

  settled(key: string, outcome: Outcome): void {
    this.inFlight.delete(key)
    if (outcome !== 'ack') return
    this.acked.set(key, true)
    if (this.acked.size > this.capacity) this.acked.delete(this.acked.keys().next().value!)
  }
}
