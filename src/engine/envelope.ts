/**
 * The one envelope every message travels in (spec/engine.md, "Messages"). Providers carry it as a
 * JSON string; `parseEnvelope` is the boundary check for anything read from a broker.
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

/** `2026-04-22T18:30:00.123456+00:00` (microseconds from the high-resolution clock). */
export function envelopeTimestamp(now: Date = new Date()): string {
  const micros = String(Math.floor((performance.timeOrigin * 1000 + performance.now() * 1000) % 1000)).padStart(3, '0')
  return now.toISOString().replace('Z', `${micros}+00:00`)
}
