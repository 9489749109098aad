/** A lineage row as `GET /executions/{id}/lineage` returns it (one stage of one message). */
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
  stage_status: string
  stage_input_hash: string | null
  started_at: string
  completed_at: string | null
  duration_ms: number | null
  metadata: Record<string, unknown> | null
  error_info: Record<string, unknown> | null
  replay_batch_id: string | null
}

/** One message: its stage rows (in chain order) and the messages it emitted. */
export interface MessageNode {
  message_id: string
  parent_id: string | null
  route_id: string
  rows: LineageRow[]
  /** `failed` when any stage failed, else the last stage's status. */
  status: string
  started_at: string
  /** Sum of the stages' durations. */
  duration_ms: number
  children: MessageNode[]
  /** Failed messages in this node's subtree, itself included. */
  failures: number
}

export interface LineageTree {
  roots: MessageNode[]
  byMessage: Map<string, MessageNode>
}

/**
 * Groups stage rows into messages and links each message under its parent (`parent_id` is the
 * parent's message id). A message whose parent is not among the rows (a page of a larger
 * execution) becomes a root, so nothing loaded is hidden. Children and roots are ordered by start.
 */
export function buildLineageTree(rows: readonly LineageRow[]): LineageTree {
  const byMessage = new Map<string, MessageNode>()
  for (const row of rows) {
    let node = byMessage.get(row.message_id)
    if (!node) {
      node = {message_id: row.message_id, parent_id: row.parent_id, route_id: row.route_id, rows: [], status: row.stage_status, started_at: row.started_at, duration_ms: 0, children: [], failures: 0}
      byMessage.set(row.message_id, node)
    }
    node.rows.push(row)
  }
  const roots: MessageNode[] = []
  for (const node of byMessage.values()) {
    node.rows.sort((a, b) => a.adapter_index - b.adapter_index || a.started_at.localeCompare(b.started_at))
    node.started_at = node.rows.reduce((min, r) => (r.started_at < min ? r.started_at : min), node.rows[0]!.started_at)
    node.duration_ms = node.rows.reduce((sum, r) => sum + (r.duration_ms ?? 0), 0)
    node.status = node.rows.some((r) => r.stage_status === 'failed') ? 'failed' : node.rows.at(-1)!.stage_status
    const parent = node.parent_id === null ? undefined : byMessage.get(node.parent_id)
    if (parent && parent !== node) parent.children.push(node)
    else roots.push(node)
  }
  const byStart = (a: MessageNode, b: MessageNode) => a.started_at.localeCompare(b.started_at)
  const count = (node: MessageNode, seen: Set<MessageNode>): number => {
    // A cycle in bad data must not recurse forever.
    if (seen.has(node)) return 0
    seen.add(node)
    node.children.sort(byStart)
    node.failures = (node.status === 'failed' ? 1 : 0) + node.children.reduce((sum, child) => sum + count(child, seen), 0)
    return node.failures
  }
  roots.sort(byStart)
  const seen = new Set<MessageNode>()
  for (const root of roots) count(root, seen)
  return {roots, byMessage}
}

/** The message ids from the root down to `messageId` (to expand before showing it); empty when unknown. */
export function pathTo(tree: LineageTree, messageId: string): string[] {
  const path: string[] = []
  let node = tree.byMessage.get(messageId)
  const seen = new Set<string>()
  while (node && !seen.has(node.message_id)) {
    seen.add(node.message_id)
    path.unshift(node.message_id)
    node = node.parent_id === null ? undefined : tree.byMessage.get(node.parent_id)
  }
  return path
}

/** Failed messages in display order (depth first, as the tree lists them). */
export function failedMessages(tree: LineageTree): MessageNode[] {
  const out: MessageNode[] = []
  const walk = (node: MessageNode, seen: Set<MessageNode>) => {
    if (seen.has(node)) return
    seen.add(node)
    if (node.status === 'failed') out.push(node)
    if (node.failures > (node.status === 'failed' ? 1 : 0)) for (const child of node.children) walk(child, seen)
  }
  const seen = new Set<MessageNode>()
  for (const root of tree.roots) walk(root, seen)
  return out
}

/** The visible rows of the tree in order, given which messages are expanded (for keyboard moves). */
export function visibleNodes(tree: LineageTree, expanded: ReadonlySet<string>): Array<{node: MessageNode; depth: number}> {
  const out: Array<{node: MessageNode; depth: number}> = []
  const walk = (node: MessageNode, depth: number, seen: Set<MessageNode>) => {
    if (seen.has(node)) return
    seen.add(node)
    out.push({node, depth})
    if (expanded.has(node.message_id)) for (const child of node.children) walk(child, depth + 1, seen)
  }
  const seen = new Set<MessageNode>()
  for (const root of tree.roots) walk(root, 0, seen)
  return out
}
