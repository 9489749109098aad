import type {PathSegment} from '../path.js'
import {type ParsedDestination, parseDestination} from '../queue-names.js'
import {didYouMean} from '../suggest.js'
import {type CheckContext, isRecord} from './context.js'
import {truncate} from './fields.js'

export interface OutboundEdge {
  index: number
  destination: ParsedDestination
  conditional: boolean
}

/** The routes as a message topology: what each reads and where its output goes. */
export interface RouteTopology {
  id: string
  inbound?: ParsedDestination
  inboundName?: string
  outbound: OutboundEdge[]
}

/**
 * Destination names against the provider's rules (E201), two routes on one queue (E109), outbound
 * destinations nobody reads (E202, W202 for topics). Returns the topology for the graph checks.
 */
export function checkQueues(root: Record<string, unknown>, ctx: CheckContext): RouteTopology[] {
  const routes = isRecord(root.routes) ? root.routes : {}
  const topology: RouteTopology[] = []
  checkDeadLetterQueue(root.error_handling, ['error_handling'], ctx)
  for (const [id, route] of Object.entries(routes)) {
    if (!isRecord(route)) continue
    const node: RouteTopology = {id, outbound: []}
    topology.push(node)
    const inbound = isRecord(route.inbound) ? route.inbound : undefined
    if (inbound && typeof inbound.queue === 'string' && inbound.queue.length > 0) {
      node.inbound = checkName(inbound.queue, ['routes', id, 'inbound', 'queue'], ctx)
      node.inboundName = inbound.queue
    }
    if (Array.isArray(route.outbound)) {
      route.outbound.forEach((entry, index) => {
        if (!isRecord(entry) || typeof entry.queue !== 'string' || entry.queue.length === 0) return
        const destination = checkName(entry.queue, ['routes', id, 'outbound', index, 'queue'], ctx)
        node.outbound.push({index, destination, conditional: entry.condition !== undefined && entry.condition !== null})
      })
    }
    checkDeadLetterQueue(route.error_handling, ['routes', id, 'error_handling'], ctx)
  }
  checkSharedInbound(topology, ctx)
  checkUnreadOutbound(topology, ctx)
  return topology
}

/** The parsed destination; an invalid name is reported and still taken literally for the graph checks. */
function checkName(name: string, segments: readonly PathSegment[], ctx: CheckContext): ParsedDestination {
  const parsed = parseDestination(name, ctx.provider)
  if (parsed.ok) return parsed
  ctx.issues.add('E201', segments, `\`${truncate(name)}\` ${parsed.reason}`, {suggestion: parsed.suggestion})
  return {ok: true, kind: name.startsWith('/topic/') ? 'topic' : 'queue', key: name}
}

function checkDeadLetterQueue(section: unknown, segments: readonly PathSegment[], ctx: CheckContext): void {
  if (!isRecord(section)) return
  const queue = section.dead_letter_queue
  if (typeof queue === 'string' && queue.length > 0) checkName(queue, [...segments, 'dead_letter_queue'], ctx)
}

function checkSharedInbound(topology: readonly RouteTopology[], ctx: CheckContext): void {
  const readers = new Map<string, string>()
  for (const route of topology) {
    if (!route.inbound || route.inbound.kind !== 'queue') continue
    const first = readers.get(route.inbound.key)
    if (first === undefined) {
      readers.set(route.inbound.key, route.id)
      continue
    }
    ctx.issues.add('E109', ['routes', route.id, 'inbound', 'queue'], `routes \`${first}\` and \`${route.id}\` both read \`${truncate(route.inboundName ?? '')}\`; each message would go to only one of them`, {
      suggestion: 'give each route its own inbound queue (use a `/topic/…` destination to deliver every message to both)',
    })
  }
}

function checkUnreadOutbound(topology: readonly RouteTopology[], ctx: CheckContext): void {
  const read = new Set(topology.flatMap((route) => route.inbound ? [route.inbound.key] : []))
  const inboundNames = topology.flatMap((route) => route.inboundName ? [route.inboundName] : [])
  for (const route of topology) {
    for (const edge of route.outbound) {
      if (read.has(edge.destination.key)) continue
      const topic = edge.destination.kind === 'topic'
      const near = didYouMean(edge.destination.key, inboundNames, 1)
      ctx.issues.add(topic ? 'W202' : 'E202', ['routes', route.id, 'outbound', edge.index, 'queue'],
        topic
          ? `no route in this pipeline reads the topic \`${truncate(edge.destination.key)}\``
          : `no route in this pipeline reads \`${truncate(edge.destination.key)}\`; messages sent there would pile up unread`,
        {suggestion: near ?? (topic ? 'fine if another pipeline subscribes; otherwise remove it' : 'add a route whose `inbound.queue` is this queue, or remove the entry')})
    }
  }
}
