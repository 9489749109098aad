import type {PathSegment} from '../path.js'
import {exampleDestination} from '../queue-names.js'
import {type CheckContext, isRecord} from './context.js'
import type {OutboundEdge, RouteTopology} from './queues.js'

interface Edge {
  from: string
  to: string
  outbound: OutboundEdge
}

/** Cycles (E501), unreachable routes (W501), retries without a dead-letter queue (W502), W503. */
export function checkGraph(root: Record<string, unknown>, topology: readonly RouteTopology[], ctx: CheckContext): void {
  const edges = buildEdges(topology)
  checkCycles(topology, edges, ctx)
  checkReachability(root, topology, edges, ctx)
  checkDeadLettering(root, ctx)
  checkPrefetch(root, ctx)
}

function buildEdges(topology: readonly RouteTopology[]): Edge[] {
  const readers = new Map<string, string[]>()
  for (const route of topology) {
    if (!route.inbound) continue
    const list = readers.get(route.inbound.key)
    if (list) list.push(route.id)
    else readers.set(route.inbound.key, [route.id])
  }
  return topology.flatMap((route) => route.outbound.flatMap((outbound) =>
    (readers.get(outbound.destination.key) ?? []).map((to) => ({from: route.id, to, outbound}))))
}

function adjacency(edges: readonly Edge[]): Map<string, Edge[]> {
  const next = new Map<string, Edge[]>()
  for (const edge of edges) {
    const list = next.get(edge.from)
    if (list) list.push(edge)
    else next.set(edge.from, [edge])
  }
  return next
}

/** Strongly connected components of the unconditional edges; each with an edge inside is a cycle. */
function checkCycles(topology: readonly RouteTopology[], edges: readonly Edge[], ctx: CheckContext): void {
  const unconditional = edges.filter((edge) => !edge.outbound.conditional)
  const next = adjacency(unconditional)
  const order = topology.map((route) => route.id)
  const position = new Map(order.map((id, number) => [id, number]))
  const componentOf = new Map<string, number>()
  stronglyConnected(order, next).forEach((component, number) => {
    for (const id of component) componentOf.set(id, number)
  })
  const insideOf = new Map<number, Edge[]>()
  for (const edge of unconditional) {
    const number = componentOf.get(edge.from)
    if (number === undefined || number !== componentOf.get(edge.to)) continue
    const list = insideOf.get(number)
    if (list) list.push(edge)
    else insideOf.set(number, [edge])
  }
  for (const inside of insideOf.values()) {
    const start = inside.map((edge) => edge.from).reduce((a, b) => (position.get(a)! <= position.get(b)! ? a : b))
    const cycle = findCycle(start, adjacency(inside))
    const first = inside.find((edge) => edge.from === start)!
    ctx.issues.add('E501', ['routes', start, 'outbound', first.outbound.index, 'queue'],
      `routes ${cycle.map((id) => `\`${id}\``).join(' → ')} form a cycle with no condition; messages would circulate forever`, {
        suggestion: 'add a `condition:` to one outbound entry of the cycle, or remove one of its edges',
      })
  }
}

/** Tarjan's algorithm without recursion (a hostile file may chain thousands of routes). */
function stronglyConnected(order: readonly string[], next: ReadonlyMap<string, Edge[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  let counter = 0
  for (const root of order) {
    if (index.has(root)) continue
    const frames: Array<{id: string; edge: number}> = [{id: root, edge: 0}]
    index.set(root, counter)
    low.set(root, counter++)
    stack.push(root)
    onStack.add(root)
    while (frames.length > 0) {
      const frame = frames.at(-1)!
      const out = next.get(frame.id) ?? []
      if (frame.edge < out.length) {
        const to = out[frame.edge++]!.to
        if (!index.has(to)) {
          index.set(to, counter)
          low.set(to, counter++)
          stack.push(to)
          onStack.add(to)
          frames.push({id: to, edge: 0})
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!))
        }
        continue
      }
      frames.pop()
      const parent = frames.at(-1)
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!))
      if (low.get(frame.id) !== index.get(frame.id)) continue
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== frame.id)
      components.push(component)
    }
  }
  return components
}

/** A shortest cycle through `start` (breadth-first over the component's edges). */
function findCycle(start: string, next: ReadonlyMap<string, Edge[]>): string[] {
  const previous = new Map<string, string>()
  const queue = [start]
  const seen = new Set<string>()
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!
    for (const edge of next.get(id) ?? []) {
      if (edge.to === start) {
        const path = [id]
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!)
        return [...path, start]
      }
      if (seen.has(edge.to)) continue
      seen.add(edge.to)
      previous.set(edge.to, id)
      queue.push(edge.to)
    }
  }
  return [start, start]
}

function checkReachability(root: Record<string, unknown>, topology: readonly RouteTopology[], edges: readonly Edge[], ctx: CheckContext): void {
  const init = isRecord(root.init_message) ? root.init_message.route : undefined
  if (typeof init !== 'string' || !topology.some((route) => route.id === init)) return
  const next = adjacency(edges)
  // The init message goes to the init route's inbound queue: every route reading it can receive it.
  const initKey = topology.find((route) => route.id === init)?.inbound?.key
  const queue = topology.filter((route) => route.id === init || (initKey !== undefined && route.inbound?.key === initKey)).map((route) => route.id)
  const reached = new Set(queue)
  for (let head = 0; head < queue.length; head++) {
    for (const edge of next.get(queue[head]!) ?? []) {
      if (reached.has(edge.to)) continue
      reached.add(edge.to)
      queue.push(edge.to)
    }
  }
  for (const route of topology) {
    if (reached.has(route.id)) continue
    ctx.issues.add('W501', ['routes', route.id], `route \`${route.id}\` can never receive a message: no route reachable from \`init_message.route\` (\`${init}\`) publishes to its inbound queue`, {
      at: 'key',
      suggestion: route.inboundName
        ? `add \`- queue: ${route.inboundName}\` to the \`outbound\` of a route that runs before it, or remove the route`
        : 'connect it with an outbound queue of another route, or remove it',
    })
  }
}

const DEFAULT_MAX_RETRIES = 3

function checkDeadLettering(root: Record<string, unknown>, ctx: CheckContext): void {
  const top = isRecord(root.error_handling) ? root.error_handling : {}
  const topRetries = retriesOf(top) ?? DEFAULT_MAX_RETRIES
  const topQueue = deadLetterQueueOf(top)
  const routes = isRecord(root.routes) ? root.routes : {}
  const inheriting: string[] = []
  const example = exampleDestination(ctx.provider, 'dlq')
  for (const [id, route] of Object.entries(routes)) {
    if (!isRecord(route)) continue
    const own = isRecord(route.error_handling) ? route.error_handling : undefined
    const retries = (own ? retriesOf(own) : undefined) ?? topRetries
    const queue = (own ? deadLetterQueueOf(own) : undefined) ?? topQueue
    if (retries <= 0 || queue !== undefined) continue
    if (own && retriesOf(own) !== undefined) {
      ctx.issues.add('W502', ['routes', id, 'error_handling', 'max_retries'], `route \`${id}\` retries failed messages (max_retries ${retries}) but no dead_letter_queue is set: after the last attempt they would only be logged`, {
        at: 'key', suggestion: `add \`dead_letter_queue: ${example}\` to this error_handling or the top-level one`,
      })
    } else {
      inheriting.push(id)
    }
  }
  if (inheriting.length === 0) return
  const segments: PathSegment[] = isRecord(root.error_handling) ? ['error_handling'] : []
  const explicit = retriesOf(top) !== undefined
  ctx.issues.add('W502', segments,
    `${inheriting.length === 1 ? 'route' : 'routes'} ${inheriting.map((id) => `\`${id}\``).join(', ')} retry failed messages (max_retries ${topRetries}${explicit ? '' : ' by default'}) but no dead_letter_queue is set: after the last attempt they would only be logged`, {
      at: 'key',
      suggestion: segments.length > 0
        ? `add \`dead_letter_queue: ${example}\` to \`error_handling\``
        : `add \`error_handling: { dead_letter_queue: ${example} }\` at the top level`,
    })
}

function retriesOf(section: Record<string, unknown>): number | undefined {
  return typeof section.max_retries === 'number' ? section.max_retries : undefined
}

function deadLetterQueueOf(section: Record<string, unknown>): string | undefined {
  return typeof section.dead_letter_queue === 'string' && section.dead_letter_queue.length > 0 ? section.dead_letter_queue : undefined
}

function checkPrefetch(root: Record<string, unknown>, ctx: CheckContext): void {
  const routes = isRecord(root.routes) ? root.routes : {}
  for (const [id, route] of Object.entries(routes)) {
    const inbound = isRecord(route) && isRecord(route.inbound) ? route.inbound : undefined
    if (!inbound || typeof inbound.prefetch !== 'number') continue
    const concurrency = typeof inbound.concurrency === 'number' ? inbound.concurrency : 1
    if (inbound.prefetch >= concurrency) continue
    ctx.issues.add('W503', ['routes', id, 'inbound', 'prefetch'], `prefetch ${inbound.prefetch} is lower than concurrency ${concurrency}: the route can never have ${concurrency} messages in flight`, {
      suggestion: `set \`prefetch\` to at least ${concurrency}, or remove it: the default is 2 × concurrency`,
    })
  }
}
