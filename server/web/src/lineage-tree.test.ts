import {describe, expect, it} from 'vitest'

import {buildLineageTree, failedMessages, type LineageRow, pathTo, visibleNodes} from './lineage-tree.js'

let n = 0
function row(message: string, parent: string | null, route: string, stage: string, status = 'completed', extra: Partial<LineageRow> = {}): LineageRow {
  n++
  return {
    id: `row${n}`, correlation_id: 'c', message_id: message, parent_id: parent, execution_id: 'x', route_id: route, adapter_name: stage,
    adapter_index: 0, stage_name: stage, stage_status: status, stage_input_hash: null, started_at: `2026-12-07T10:00:${String(n).padStart(2, '0')}.000Z`,
    completed_at: null, duration_ms: 5, metadata: null, error_info: status === 'failed' ? {message: 'boom'} : null, replay_batch_id: null, ...extra,
  }
}

describe('building the lineage tree', () => {
  const rows = [
    row('root', null, 'list', 'directory_lister'),
    row('a', 'root', 'read', 'file_reader'),
    row('b', 'root', 'read', 'file_reader'),
    row('b', 'root', 'read', 'html_to_markdown', 'failed', {adapter_index: 1}),
    row('a1', 'a', 'load', 'storage_retriever'),
    row('b1', 'b', 'load', 'storage_retriever', 'failed'),
  ]

  it('groups stage rows into messages and hangs each under its parent message', () => {
    const tree = buildLineageTree(rows)
    expect(tree.roots.map((r) => r.message_id)).toEqual(['root'])
    expect(tree.roots[0]!.children.map((c) => c.message_id)).toEqual(['a', 'b'])
    const b = tree.byMessage.get('b')!
    expect(b.rows.map((r) => r.stage_name)).toEqual(['file_reader', 'html_to_markdown'])
    expect(b.status).toBe('failed')
    expect(b.duration_ms).toBe(10)
  })

  it('counts failures in each subtree and lists failed messages in display order', () => {
    const tree = buildLineageTree(rows)
    expect(tree.roots[0]!.failures).toBe(2)
    expect(tree.byMessage.get('a')!.failures).toBe(0)
    expect(failedMessages(tree).map((m) => m.message_id)).toEqual(['b', 'b1'])
  })

  it('gives the path to expand to reach a message, and the visible rows for the expanded set', () => {
    const tree = buildLineageTree(rows)
    expect(pathTo(tree, 'b1')).toEqual(['root', 'b', 'b1'])
    expect(visibleNodes(tree, new Set()).map((v) => v.node.message_id)).toEqual(['root'])
    expect(visibleNodes(tree, new Set(['root', 'b'])).map((v) => [v.node.message_id, v.depth])).toEqual([['root', 0], ['a', 1], ['b', 1], ['b1', 2]])
  })

  it('makes a message whose parent is not loaded a root, and survives a cycle in bad data', () => {
    const orphan = buildLineageTree([row('child', 'missing', 'read', 'file_reader')])
    expect(orphan.roots.map((r) => r.message_id)).toEqual(['child'])
    const cycle = buildLineageTree([row('p', 'q', 'r', 's'), row('q', 'p', 'r', 's')])
    expect(cycle.byMessage.size).toBe(2)
    expect(pathTo(cycle, 'p')).toHaveLength(2)
  })
})
