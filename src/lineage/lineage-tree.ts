/**
 * The message tree of lineage rows (`factflow lineage chain --tree`, `lineage view`): one node per
 * message with the rows of its stages, children being the messages whose `parent_id` is its
 * `message_id`. Pure, over the fields both the stored rows and their JSON form have.
 */

/** The fields of a lineage row the tree reads. */
export interface TreeRow {
  id: string
  message_id: string
  parent_id: string | null
  route_id: string
  adapter_name: string
  adapter_index: number
  stage_status: string
  started_at: string | Date
  duration_ms: number | null
  error_info: {message?: unknown} | Record<string, unknown> | null
}

export interface LineageTreeNode<R extends TreeRow = TreeRow> {
  messageId: string
  parentId: string | null
  routeId: string
  /** The message's rows in stage order (attempts of one stage in time order). */
  rows: R[]
  children: Array<LineageTreeNode<R>>
  /** Some stage of this message failed (even if a later attempt passed). */
  failed: boolean
  /** Messages under this one (at any depth) with a failed stage. */
  failedBelow: number
  /** Summed durations of the message's rows. */
  durationMs: number
}

export interface LineageTree<R extends TreeRow = TreeRow> {
  roots: Array<LineageTreeNode<R>>
  byMessage: Map<string, LineageTreeNode<R>>
}

const time = (row: TreeRow) => (typeof row.started_at === 'string' ? Date.parse(row.started_at) : row.started_at.getTime())

/** The tree of `rows`; a row whose parent message is not among them starts a root (a chain's top, a page's edge). */
export function buildLineageTree<R extends TreeRow>(rows: readonly R[]): LineageTree<R> {
  const byMessage = new Map<string, LineageTreeNode<R>>()
  for (const row of rows) {
    let node = byMessage.get(row.message_id)
    if (!node) {
      node = {messageId: row.message_id, parentId: row.parent_id, routeId: row.route_id, rows: [], children: [], failed: false, failedBelow: 0, durationMs: 0}
      byMessage.set(row.message_id, node)
    }
    node.rows.push(row)
    node.failed ||= row.stage_status === 'failed'
    node.durationMs += row.duration_ms ?? 0
  }
  const roots: Array<LineageTreeNode<R>> = []
  for (const node of byMessage.values()) {
    node.rows.sort((a, b) => a.adapter_index - b.adapter_index || time(a) - time(b))
    const parent = node.parentId === null ? undefined : byMessage.get(node.parentId)
    if (parent && parent !== node) parent.children.push(node)
    else roots.push(node)
  }
  const started = (node: LineageTreeNode<R>) => time(node.rows[0]!)
  const order = (nodes: Array<LineageTreeNode<R>>) => nodes.sort((a, b) => started(a) - started(b) || a.messageId.localeCompare(b.messageId))
  // Iterative post-order: a fan-out thousands deep or wide must not overflow the stack.
  const stack: Array<{node: LineageTreeNode<R>; visited: boolean}> = order(roots).map((node) => ({node, visited: false}))
  while (stack.length > 0) {
    const top = stack.pop()!
    if (!top.visited) {
      stack.push({node: top.node, visited: true})
      for (const child of order(top.node.children)) stack.push({node: child, visited: false})
    } else {
      top.node.failedBelow = top.node.children.reduce((sum, child) => sum + child.failedBelow + (child.failed ? 1 : 0), 0)
    }
  }
  return {roots, byMessage}
}

/** A visible line of the tree: the node, its depth, and the guide drawn before it (`│  ├─ `). */
export interface TreeLine<R extends TreeRow = TreeRow> {
  node: LineageTreeNode<R>
  depth: number
  guide: string
}

/** The lines shown when the nodes `isExpanded` accepts show their children, in order. */
export function flattenLineageTree<R extends TreeRow>(roots: ReadonlyArray<LineageTreeNode<R>>, isExpanded: (node: LineageTreeNode<R>) => boolean): Array<TreeLine<R>> {
  const lines: Array<TreeLine<R>> = []
  const stack: Array<{node: LineageTreeNode<R>; depth: number; lead: string; last: boolean}> =
    [...roots].reverse().map((node) => ({node, depth: 0, lead: '', last: true}))
  while (stack.length > 0) {
    const {node, depth, lead, last} = stack.pop()!
    lines.push({node, depth, guide: depth === 0 ? '' : `${lead}${last ? '└─ ' : '├─ '}`})
    if (!isExpanded(node)) continue
    const childLead = depth === 0 ? '' : `${lead}${last ? '   ' : '│  '}`
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({node: node.children[i]!, depth: depth + 1, lead: childLead, last: i === node.children.length - 1})
    }
  }
  return lines
}

/** A row's error message, when it has one. */
export function rowError(row: TreeRow): string | undefined {
  const message = (row.error_info as {message?: unknown} | null)?.message
  return typeof message === 'string' ? message : undefined
}

/** One line describing a message: route, short id (the id's end), each stage's status and time, the first error. */
export function describeMessage(node: LineageTreeNode, options: {idLength?: number} = {}): string {
  const stages = node.rows.map((row) => `${row.adapter_name}:${row.stage_status}${row.duration_ms === null ? '' : ` ${formatMs(row.duration_ms)}`}`)
  const error = node.rows.map(rowError).find((message) => message !== undefined)
  const below = node.children.length > 0 ? ` (${node.children.length} ${node.children.length === 1 ? 'child' : 'children'}${node.failedBelow > 0 ? `, ${node.failedBelow} failed below` : ''})` : ''
  // Message ids are UUIDv7: their start is a timestamp shared by a whole run, their end tells them apart.
  return `${node.routeId} ${node.messageId.slice(-(options.idLength ?? 8))}  ${stages.join('  ')}${below}${error ? `  ✗ ${error}` : ''}`
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)}s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)}ms`
}

/** The nodes of the tree in display order (every node expanded). */
export function treeOrder<R extends TreeRow>(roots: ReadonlyArray<LineageTreeNode<R>>): Array<LineageTreeNode<R>> {
  return flattenLineageTree(roots, () => true).map((line) => line.node)
}

/**
 * The next node with a failed stage after `fromMessageId` in display order (wrapping round), or
 * undefined when none failed; `backwards` searches the other way.
 */
export function nextFailure<R extends TreeRow>(tree: LineageTree<R>, fromMessageId: string | undefined, backwards = false): LineageTreeNode<R> | undefined {
  const order = treeOrder(tree.roots)
  if (backwards) order.reverse()
  const start = order.findIndex((node) => node.messageId === fromMessageId)
  for (let step = 1; step <= order.length; step++) {
    const node = order[(start + step + order.length) % order.length]!
    if (node.failed) return node
  }
  return undefined
}

/** The message ids from the root down to `node`'s parent. */
export function ancestorIds<R extends TreeRow>(tree: LineageTree<R>, node: LineageTreeNode<R>): string[] {
  const ids: string[] = []
  let parent = node.parentId === null ? undefined : tree.byMessage.get(node.parentId)
  while (parent && !ids.includes(parent.messageId)) {
    ids.unshift(parent.messageId)
    parent = parent.parentId === null ? undefined : tree.byMessage.get(parent.parentId)
  }
  return ids
}
