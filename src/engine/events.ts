import type {LineageErrorInfo} from '../lineage/types.js'
import type {Envelope} from './envelope.js'

/** Counters of one route, as the run summary, the live view and the `stats` SSE event show them. */
export interface RouteCounters {
  received: number
  completed: number
  /** Failed attempts (a message retried twice then completed counts 2 here). */
  failed: number
  dead_lettered: number
  /** Completed messages for which at least one stage reused stored work (`markSkipped('unchanged')`). */
  unchanged: number
  embedded: number
  in_flight: number
  paused: boolean
  /** The backpressure controller's current concurrency limit. */
  concurrency_limit: number
  /**
   * Fan-out elements emitted by this route's stages, counted as they are emitted (while their
   * parent message is still in flight). Like `received`, a retried parent's elements count again.
   */
  elements: number
  /** Elements whose path through the chain ended: published, filtered out, or fanned out again. */
  elements_done: number
  /** Elements whose path failed (their parent is then retried or dead-lettered); cancellations excluded. */
  elements_failed: number
  /**
   * Messages or elements whose path ended at a stage that found its work already done
   * (`markSkipped('unchanged')` and no output: a page an earlier run finished, see
   * `StoredPages.finished`); the routes after it receive nothing for them.
   */
  ended_unchanged: number
}

export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'

export interface DeadLetter {
  envelope: Envelope
  route_id: string
  stage: string | null
  attempts: number
  error: LineageErrorInfo
}

/**
 * Events of one execution (docs/reference/server.md, "Server-Sent Events"). High-rate message events
 * (`message.processing`, `message.completed`) are emitted only when a listener asked for them.
 */
export type ExecutionEvent =
  | {type: 'execution.started'; execution_id: string; routes: string[]}
  | {type: 'message.processing'; execution_id: string; route_id: string; message_id: string}
  | {type: 'message.completed'; execution_id: string; route_id: string; message_id: string; duration_ms: number}
  | {type: 'message.failed'; execution_id: string; route_id: string; message_id: string; stage: string | null; attempt: number; will_retry: boolean; error: LineageErrorInfo}
  | {type: 'message.dead_lettered'; execution_id: string; dead_letter: DeadLetter}
  | {type: 'route.paused' | 'route.resumed'; execution_id: string; route_id: string}
  | {type: 'circuit.opened' | 'circuit.closed' | 'circuit.half_open'; execution_id: string; route_id: string; stage: string}
  | {type: 'stats'; execution_id: string; routes: Record<string, RouteCounters>}
  | {type: 'execution.completed' | 'execution.failed' | 'execution.cancelled' | 'execution.interrupted'; execution_id: string; status: ExecutionStatus; error?: string; error_code?: string}

export type ExecutionEventListener = (event: ExecutionEvent) => void
