/**
 * The one envelope every message travels in (docs/reference/engine.md, "Messages"). Providers carry it as a
 * JSON string; `decodeEnvelope` (envelope-codec.ts) is the boundary check for anything read from a
 * broker.
 */
export interface Envelope {
  message_id: string
  correlation_id: string
  parent_id: string | null
  execution_id: string
  route_id: string
  stage: string | null
  /** ISO-8601 UTC with microseconds and an explicit offset. */
  timestamp: string
  attempt: number
  payload: Record<string, unknown>
  metadata: Record<string, unknown>
}

let cachedMs = -1
let cachedPrefix = ''

/**
 * `2026-04-22T18:30:00.123456+00:00`: milliseconds from the wall clock, the microsecond digits from
 * the monotonic clock. The ISO prefix is cached per millisecond: this runs for every message.
 */
export function envelopeTimestamp(nowMs: number = Date.now()): string {
  if (nowMs !== cachedMs) {
    cachedMs = nowMs
    cachedPrefix = new Date(nowMs).toISOString().slice(0, 23)
  }
  const micros = Math.floor((performance.now() * 1000) % 1000)
  return `${cachedPrefix}${micros < 10 ? '00' : micros < 100 ? '0' : ''}${micros}+00:00`
}
