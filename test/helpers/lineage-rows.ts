import {v7 as uuidv7} from 'uuid'
import type {LineageRow} from '../../src/lineage/types.js'

/** A completed lineage row with sensible defaults; `overrides` win. */
export function lineageRow(overrides: Partial<LineageRow> = {}): LineageRow {
  const started = new Date(Date.UTC(2026, 3, 22, 18, 30, 0, 123))
  return {
    id: uuidv7(),
    correlation_id: uuidv7(),
    message_id: uuidv7(),
    parent_id: null,
    execution_id: uuidv7(),
    route_id: 'crawl',
    adapter_name: 'web_fetcher',
    adapter_index: 0,
    stage_name: 'fetch',
    stage_status: 'completed',
    stage_input_hash: 'sha256:0f1e2d',
    started_at: started,
    completed_at: new Date(started.getTime() + 42),
    duration_ms: 42.5,
    metadata: {url: 'https://example.test/a', title: 'A'},
    error_info: null,
    replay_batch_id: null,
    ...overrides,
  }
}

/** `count` rows of one execution, each its own message, one millisecond apart. */
export function lineageRows(count: number, executionId: string = uuidv7()): LineageRow[] {
  const base = Date.UTC(2026, 3, 22, 18, 0, 0)
  return Array.from({length: count}, (_, i) => lineageRow({
    execution_id: executionId,
    route_id: `route-${i % 3}`,
    adapter_index: i % 2,
    started_at: new Date(base + i),
    completed_at: new Date(base + i + 1),
    duration_ms: i % 100,
    metadata: {url: `https://example.test/page/${i}`, n: i},
  }))
}
