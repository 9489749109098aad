/**
 * One lineage row per message per adapter invocation (spec/engine.md, "Lineage"). The engine writes
 * each row once, when the invocation ends (never insert-then-update), through a `LineageWriter`.
 */
export type StageStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'skipped'

export interface LineageErrorInfo {
  error_class: string
  message: string
  retryable: boolean
  stack?: string
  code?: string
}

export interface LineageRow {
  id: string
  correlation_id: string
  message_id: string
  parent_id: string | null
  execution_id: string
  route_id: string
  adapter_name: string
  adapter_index: number
  stage_name: string
  stage_status: StageStatus
  stage_input_hash: string | null
  started_at: Date
  completed_at: Date | null
  duration_ms: number | null
  metadata: Record<string, unknown> | null
  error_info: LineageErrorInfo | null
  replay_batch_id: string | null
}

/**
 * Buffers rows in memory and writes them in batches on its own connection. `write` never throws
 * and never waits for the database; when the store is down rows are kept (bounded by
 * `maxBufferedRows`, oldest dropped with a warning past it) and retried.
 */
export interface LineageWriter {
  write(row: LineageRow): void
  /** Resolves when every row written so far is stored (or `timeoutMs` passes). */
  flush(timeoutMs?: number): Promise<void>
  stats(): {written: number; pending: number; failedFlushes: number; dropped: number}
  close(timeoutMs?: number): Promise<void>
}
