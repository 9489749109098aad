import {describe, expect, it} from 'vitest'

import {ancestorIds, buildLineageTree, flattenLineageTree, nextFailure, type TreeRow} from './lineage-tree.js'

let clock = 0
const row = (message: string, parent: string | null, status = 'completed', adapterIndex = 0): TreeRow => ({
  id: `${message}-${adapterIndex}-${clock}`, message_id: message, parent_id: parent, route_id: 'r', adapter_name: 'a', adapter_index: adapterIndex,
  stage_status: status, started_at: new Date(1_000_000 + clock++), duration_ms: 1, error_info: status === 'failed' ? {message: 'boom'} : null,
})

describe('lineage tree', () => {
  it('groups rows by message under their parent message, counts failures below, and starts a root where the parent is missing', () => {
    const tree = buildLineageTree([
      row('root', null), row('a', 'root'), row('a', 'root', 'failed', 1), row('b', 'root'), row('a1', 'a', 'failed'), row('orphan', 'elsewhere'),
    ])
    expect(tree.roots.map((n) => n.messageId)).toEqual(['root', 'orphan'])
    const root = tree.byMessage.get('root')!
    expect(root.children.map((n) => n.messageId)).toEqual(['a', 'b'])
    expect(root.failedBelow).toBe(2)
    expect(tree.byMessage.get('a')!.rows.map((r) => r.adapter_index)).toEqual([0, 1])
    expect(flattenLineageTree(tree.roots, () => true).map((l) => `${l.guide}${l.node.messageId}`)).toEqual([
      'root', '├─ a', '│  └─ a1', '└─ b', 'orphan',
    ])
    expect(flattenLineageTree(tree.roots, (n) => n.messageId !== 'a').map((l) => l.node.messageId)).toEqual(['root', 'a', 'b', 'orphan'])
    expect(nextFailure(tree, 'root')!.messageId).toBe('a')
    expect(nextFailure(tree, 'a')!.messageId).toBe('a1')
    expect(nextFailure(tree, 'a1')!.messageId).toBe('a')
    expect(nextFailure(tree, 'b', true)!.messageId).toBe('a1')
    expect(ancestorIds(tree, tree.byMessage.get('a1')!)).toEqual(['root', 'a'])
  })

  it('handles a chain 20,000 messages deep without overflowing the stack', () => {
    const rows = [row('m0', null), ...Array.from({length: 20_000}, (_, i) => row(`m${i + 1}`, `m${i}`, i === 19_999 ? 'failed' : 'completed'))]
    const tree = buildLineageTree(rows)
    expect(tree.roots).toHaveLength(1)
    expect(tree.roots[0]!.failedBelow).toBe(1)
    expect(nextFailure(tree, 'm0')!.messageId).toBe('m20000')
  })
})
