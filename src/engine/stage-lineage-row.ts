import type {NewLineageRow, StageStatus} from '../lineage/types.js'
import type {ChainItem} from './chain-item.js'
import {errorInfo} from './classify-error.js'
import type {Envelope} from './envelope.js'
import {payloadDigest} from './payload-hash.js'

// `performance.timeOrigin` is a getter that calls into the runtime (~80 ns): read it once.
const TIME_ORIGIN = performance.timeOrigin

/** The stage a lineage row describes. */
export interface LineageStage {
  readonly index: number
  readonly stage: string
  readonly type: string
}

/** The lineage row of one adapter invocation (docs/reference/engine.md, "Lineage"); `startedAt` is `performance.now()` time. */
export function stageLineageRow(
  executionId: string, routeId: string, stage: LineageStage, envelope: Envelope, item: ChainItem, status: StageStatus,
  startedAt: number, metadata: Record<string, unknown> | null, error: unknown,
): NewLineageRow {
  const now = performance.now()
  return {
    correlation_id: envelope.correlation_id,
    message_id: item.messageId,
    parent_id: item.parentId,
    execution_id: executionId,
    route_id: routeId,
    adapter_name: stage.type,
    adapter_index: stage.index,
    stage_name: stage.stage,
    stage_status: status,
    stage_input_hash: item.payloadHash ?? payloadDigest(item.payload),
    started_at: TIME_ORIGIN + startedAt,
    completed_at: TIME_ORIGIN + now,
    duration_ms: now - startedAt,
    metadata,
    error_info: error === null ? null : errorInfo(error),
    replay_batch_id: typeof envelope.metadata.replay_batch_id === 'string' ? envelope.metadata.replay_batch_id : null,
  }
}
