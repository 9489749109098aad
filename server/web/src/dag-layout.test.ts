import {describe, expect, it} from 'vitest'

import {layoutDag} from './dag-layout.js'

const size = {nodeWidth: 100, nodeHeight: 40, gapX: 50, gapY: 20}
const node = (route_id: string) => ({route_id, name: route_id, adapters: []})
const edge = (from_route: string, to_route: string) => ({from_route, to_route, queue: `/queue/${to_route}`})

describe('laying out the pipeline graph', () => {
  it('puts each route one column right of its furthest predecessor', () => {
    const layout = layoutDag({nodes: ['load', 'list', 'read', 'side'].map(node), edges: [edge('list', 'read'), edge('read', 'load'), edge('list', 'load'), edge('list', 'side')]}, size)
    const column = Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]))
    expect(column).toEqual({list: 0, read: 1, side: 1, load: 2})
    expect(layout.width).toBe(3 * 100 + 2 * 50)
    expect(layout.edges).toHaveLength(4)
    expect(layout.edges.every((e) => !e.back)).toBe(true)
  })

  it('draws an edge that closes a cycle as a back edge instead of looping the layering', () => {
    const layout = layoutDag({nodes: ['a', 'b'].map(node), edges: [edge('a', 'b'), edge('b', 'a')]}, size)
    expect(layout.nodes.map((n) => n.layer).sort()).toEqual([0, 1])
    expect(layout.edges.filter((e) => e.back)).toHaveLength(1)
  })

  it('keeps nodes of one column apart and ignores edges to unknown routes', () => {
    const layout = layoutDag({nodes: ['s', 'x', 'y'].map(node), edges: [edge('s', 'x'), edge('s', 'y'), edge('s', 'ghost')]}, size)
    const [x, y] = ['x', 'y'].map((id) => layout.nodes.find((n) => n.id === id)!)
    expect(Math.abs(x!.y - y!.y)).toBeGreaterThanOrEqual(size.nodeHeight + size.gapY)
    expect(layout.edges).toHaveLength(2)
  })
})
