export interface DagInput {
  nodes: Array<{route_id: string; name: string; adapters: string[]}>
  edges: Array<{from_route: string; to_route: string; queue: string}>
}

export interface PlacedNode {
  id: string
  layer: number
  x: number
  y: number
}

export interface DagLayout {
  nodes: PlacedNode[]
  edges: Array<{from: string; to: string; queue: string; path: string; back: boolean}>
  width: number
  height: number
}

export interface LayoutSize {
  nodeWidth: number
  nodeHeight: number
  gapX: number
  gapY: number
}

/**
 * Left-to-right layered layout, small enough to write here rather than ship a graph library
 * (pipelines have a handful of routes): each route's column is its longest path from a source
 * (edges that close a cycle are drawn as back edges and ignored for layering), rows within a
 * column are ordered by the mean row of their predecessors. Edges are cubic curves.
 */
export function layoutDag(dag: DagInput, size: LayoutSize): DagLayout {
  const ids = dag.nodes.map((n) => n.route_id)
  const known = new Set(ids)
  const edges = dag.edges.filter((e) => known.has(e.from_route) && known.has(e.to_route))
  const out = new Map<string, string[]>(ids.map((id) => [id, []]))
  for (const e of edges) out.get(e.from_route)!.push(e.to_route)

  // Depth-first search marks edges that close a cycle; the rest form a DAG.
  const back = new Set<string>()
  const state = new Map<string, 'open' | 'done'>()
  const order: string[] = []
  const visit = (id: string) => {
    state.set(id, 'open')
    for (const to of out.get(id)!) {
      if (state.get(to) === 'open') back.add(`${id}\u0000${to}`)
      else if (!state.has(to)) visit(to)
    }
    state.set(id, 'done')
    order.push(id)
  }
  const incoming = new Set(edges.map((e) => e.to_route))
  for (const id of ids) if (!incoming.has(id) && !state.has(id)) visit(id)
  for (const id of ids) if (!state.has(id)) visit(id)
  order.reverse()

  const layer = new Map<string, number>(ids.map((id) => [id, 0]))
  for (const id of order) {
    for (const to of out.get(id)!) {
      if (!back.has(`${id}\u0000${to}`)) layer.set(to, Math.max(layer.get(to)!, layer.get(id)! + 1))
    }
  }
  const layers: string[][] = []
  for (const id of order) (layers[layer.get(id)!] ??= []).push(id)
  const row = new Map<string, number>()
  layers.forEach((members, index) => {
    if (index > 0) {
      const mean = (id: string) => {
        const preds = edges.filter((e) => e.to_route === id && row.has(e.from_route)).map((e) => row.get(e.from_route)!)
        return preds.length === 0 ? Number.POSITIVE_INFINITY : preds.reduce((a, b) => a + b, 0) / preds.length
      }
      members.sort((a, b) => mean(a) - mean(b))
    }
    members.forEach((id, i) => row.set(id, i))
  })
  const tallest = Math.max(1, ...layers.map((members) => members.length))
  const height = tallest * size.nodeHeight + (tallest - 1) * size.gapY
  const nodes: PlacedNode[] = ids.map((id) => {
    const members = layers[layer.get(id)!]!
    const columnHeight = members.length * size.nodeHeight + (members.length - 1) * size.gapY
    return {id, layer: layer.get(id)!, x: layer.get(id)! * (size.nodeWidth + size.gapX), y: (height - columnHeight) / 2 + row.get(id)! * (size.nodeHeight + size.gapY)}
  })
  const at = new Map(nodes.map((n) => [n.id, n]))
  const width = Math.max(1, layers.length) * size.nodeWidth + Math.max(0, layers.length - 1) * size.gapX
  return {
    nodes, width, height,
    edges: edges.map((e) => {
      const from = at.get(e.from_route)!
      const to = at.get(e.to_route)!
      const isBack = back.has(`${e.from_route}\u0000${e.to_route}`) || from.id === to.id
      let path: string
      if (isBack) {
        // Around the top: out of the source's top edge, into the target's top edge.
        const x1 = from.x + size.nodeWidth / 2
        const x2 = to.x + size.nodeWidth / 2
        const top = Math.min(from.y, to.y) - size.gapY / 2 - 6
        path = `M${x1},${from.y} C${x1},${top} ${x2},${top} ${x2},${to.y}`
      } else {
        const x1 = from.x + size.nodeWidth
        const y1 = from.y + size.nodeHeight / 2
        const x2 = to.x
        const y2 = to.y + size.nodeHeight / 2
        const mid = (x1 + x2) / 2
        path = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`
      }
      return {from: e.from_route, to: e.to_route, queue: e.queue, path, back: isBack}
    }),
  }
}
