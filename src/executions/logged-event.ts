/** One event of an execution's stream, as SSE sends it (`id:`, `event:`, `data:`). */
export interface LoggedEvent {
  /** UUIDv7, strictly increasing within a process: the SSE `id` and `Last-Event-ID`. */
  id: string
  /** The event's type (`execution.started`, `stats`, …). */
  event: string
  /** ISO-8601 UTC. */
  timestamp: string
  data: Record<string, unknown>
}

/** Where events older than the in-memory buffer are kept (the database); optional. */
export interface EventArchive {
  append(executionId: string, events: readonly LoggedEvent[]): Promise<void>
  /** Events of the execution after `afterId` (all when undefined), oldest first. */
  since(executionId: string, afterId: string | undefined): Promise<LoggedEvent[]>
}
