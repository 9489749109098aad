import {
  backpressureOverrideSchema, errorHandlingOverrideSchema, inboundSchema, initMessageSchema, INBOUND_KEYS, pipelineSchema, ROUTE_ID_PATTERN,
  ROUTE_KEYS, routeSchema, STAGE_ID_PATTERN, STEP_KEYS, SUPPORTED_VERSIONS, TOP_LEVEL_KEYS,
} from '../pipeline-schema.js'
import type {PathSegment} from '../path.js'
import {exampleDestination} from '../queue-names.js'
import {allowedValues, suggestFrom} from '../suggest.js'
import {checkAdapterStep} from './adapters.js'
import {checkCondition} from './conditions.js'
import {type CheckContext, describeKind, hasKey, isRecord, show} from './context.js'
import {checkFields, checkKnownKeys, checkSection, truncate} from './fields.js'

const OUTBOUND_KEYS = ['queue', 'condition'] as const
const INIT_KEYS = Object.keys(initMessageSchema.shape)

/**
 * The shape of the document: keys, required fields, version, ids and field values
 * (E101–E108, E110), plus each adapter step and condition it meets on the way.
 */
export function checkStructure(root: Record<string, unknown>, ctx: CheckContext): void {
  checkKnownKeys(root, TOP_LEVEL_KEYS, [], ctx, 'at the top level')
  checkVersion(root, ctx)
  checkFields(root, pipelineSchema.shape, ['name', 'description'], [], ctx)
  if (hasKey(root, 'error_handling')) checkSection(root.error_handling, errorHandlingOverrideSchema.shape, ['error_handling'], ctx)
  if (hasKey(root, 'backpressure')) checkSection(root.backpressure, backpressureOverrideSchema.shape, ['backpressure'], ctx)
  const routeIds = checkRoutes(root, ctx)
  checkInitMessage(root, routeIds, ctx)
}

function checkVersion(root: Record<string, unknown>, ctx: CheckContext): void {
  if (!hasKey(root, 'version') || root.version === null) {
    ctx.issues.add('E101', ['version'], 'the pipeline has no `version`', {at: 'key', suggestion: 'add `version: "1.0"` at the top'})
    return
  }
  const version = root.version
  if ((SUPPORTED_VERSIONS as readonly unknown[]).includes(version)) return
  const numeric = typeof version === 'number' && SUPPORTED_VERSIONS.some((supported) => Number(supported) === version)
  ctx.issues.add('E102', ['version'], `version ${show(version)} is not supported`, {
    suggestion: numeric ? 'quote it: `version: "1.0"`; unquoted, YAML reads a number' : allowedValues(SUPPORTED_VERSIONS.map((v) => `"${v}"`), 'supported versions'),
  })
}

function checkRoutes(root: Record<string, unknown>, ctx: CheckContext): string[] {
  if (!hasKey(root, 'routes') || root.routes === null) {
    ctx.issues.add('E104', ['routes'], 'the pipeline has no `routes`', {at: 'key', suggestion: 'add `routes:` with at least one route'})
    return []
  }
  const routes = root.routes
  if (!isRecord(routes)) {
    ctx.issues.add('E104', ['routes'], `\`routes\` must be a mapping of route ids to routes, not ${describeKind(routes)}`, {
      suggestion: 'write `routes:` then one indented `<route_id>:` per route',
    })
    return []
  }
  const ids = Object.keys(routes)
  if (ids.length === 0) {
    ctx.issues.add('E104', ['routes'], '`routes` is empty', {suggestion: 'add at least one route'})
    return []
  }
  for (const id of ids) {
    if (!ROUTE_ID_PATTERN.test(id)) {
      ctx.issues.add('E107', ['routes', id], `route id \`${truncate(id)}\` must match ${ROUTE_ID_PATTERN.source} (lower case, digits, underscores)`, {
        at: 'key', suggestion: idSuggestion(id),
      })
    }
    checkRoute(id, routes[id], ctx)
  }
  return ids
}

function checkRoute(id: string, route: unknown, ctx: CheckContext): void {
  const segments = ['routes', id]
  if (!isRecord(route)) {
    ctx.issues.add('E110', segments, `route \`${truncate(id)}\` must be a mapping, not ${describeKind(route)}`, {
      suggestion: 'give it `inbound:` and `adapters:`',
    })
    return
  }
  checkKnownKeys(route, ROUTE_KEYS, segments, ctx, `in route \`${truncate(id)}\``)
  checkFields(route, routeSchema.shape, ['name', 'description'], segments, ctx)
  checkInbound(id, route, ctx)
  checkAdapters(id, route, ctx)
  if (hasKey(route, 'outbound')) checkOutbound(id, route.outbound, ctx)
  if (hasKey(route, 'error_handling')) checkSection(route.error_handling, errorHandlingOverrideSchema.shape, [...segments, 'error_handling'], ctx)
  if (hasKey(route, 'backpressure')) checkSection(route.backpressure, backpressureOverrideSchema.shape, [...segments, 'backpressure'], ctx)
}

function checkInbound(id: string, route: Record<string, unknown>, ctx: CheckContext): void {
  const segments = ['routes', id, 'inbound']
  if (!hasKey(route, 'inbound') || route.inbound === null) {
    ctx.issues.add('E106', segments, `route \`${truncate(id)}\` has no \`inbound\``, {
      at: 'key', suggestion: `add \`inbound: { queue: ${exampleDestination(ctx.provider, `${safeName(id)}.in`)} }\``,
    })
    return
  }
  const inbound = route.inbound
  if (!isRecord(inbound)) {
    ctx.issues.add('E110', segments, `\`inbound\` must be a mapping, not ${describeKind(inbound)}`, {
      suggestion: `write \`inbound: { queue: ${exampleDestination(ctx.provider, `${safeName(id)}.in`)} }\``,
    })
    return
  }
  checkKnownKeys(inbound, INBOUND_KEYS, segments, ctx, 'in `inbound`')
  if (!hasKey(inbound, 'queue') || inbound.queue === null) {
    ctx.issues.add('E106', [...segments, 'queue'], `route \`${truncate(id)}\` has no \`inbound.queue\``, {
      at: 'key', suggestion: `add \`queue: ${exampleDestination(ctx.provider, `${safeName(id)}.in`)}\``,
    })
  }
  checkFields(inbound, inboundSchema.shape, INBOUND_KEYS.filter((key) => inbound[key] !== null || key !== 'queue'), segments, ctx)
}

function checkAdapters(id: string, route: Record<string, unknown>, ctx: CheckContext): void {
  const segments = ['routes', id, 'adapters']
  if (!hasKey(route, 'adapters') || route.adapters === null) {
    ctx.issues.add('E106', segments, `route \`${truncate(id)}\` has no \`adapters\``, {
      at: 'key', suggestion: 'add `adapters:` with at least one `- type: …` step',
    })
    return
  }
  const steps = route.adapters
  if (!Array.isArray(steps)) {
    ctx.issues.add('E110', segments, `\`adapters\` must be a list of steps, not ${describeKind(steps)}`, {suggestion: 'write `adapters:` then `- type: …` lines'})
    return
  }
  if (steps.length === 0) {
    ctx.issues.add('E106', segments, `route \`${truncate(id)}\` has an empty \`adapters\` list`, {suggestion: 'add at least one `- type: …` step'})
    return
  }
  const stageIds = new Set<string>()
  steps.forEach((step, index) => {
    const stepSegments: PathSegment[] = [...segments, index]
    if (!isRecord(step)) {
      ctx.issues.add('E110', stepSegments, `an adapter step must be a mapping with \`type:\`, not ${describeKind(step)}`, {
        suggestion: typeof step === 'string' ? `write \`- type: ${truncate(step, 40)}\`` : 'write `- type: <adapter>`',
      })
      return
    }
    checkKnownKeys(step, STEP_KEYS, stepSegments, ctx, 'in an adapter step')
    if (!hasKey(step, 'type') || step.type === null) {
      ctx.issues.add('E106', [...stepSegments, 'type'], 'the adapter step has no `type`', {at: 'key', suggestion: 'add `type:` naming a registered adapter (`factflow adapters list`)'})
    }
    checkStageId(step, stepSegments, stageIds, ctx)
    if (hasKey(step, 'condition')) checkCondition(step.condition, [...stepSegments, 'condition'], ctx)
    checkAdapterStep(step, stepSegments, ctx)
  })
}

function checkStageId(step: Record<string, unknown>, segments: readonly PathSegment[], seen: Set<string>, ctx: CheckContext): void {
  const explicit = hasKey(step, 'id') && step.id !== null
  const stage = explicit ? step.id : step.type
  if (explicit && (typeof stage !== 'string' || !STAGE_ID_PATTERN.test(stage))) {
    ctx.issues.add('E107', [...segments, 'id'], `stage id ${show(stage)} must match ${STAGE_ID_PATTERN.source} (lower case, digits, underscores)`, {
      suggestion: typeof stage === 'string' ? idSuggestion(stage) : 'use a lower-case name such as `fetch_pages`',
    })
    return
  }
  if (typeof stage !== 'string') return
  if (seen.has(stage)) {
    ctx.issues.add('E107', explicit ? [...segments, 'id'] : [...segments, 'type'], `stage id \`${truncate(stage)}\` repeats within the route`, {
      suggestion: explicit ? 'give each step a unique `id:`' : `give this step an \`id:\`; two steps of type \`${truncate(stage)}\` need different ids`,
    })
  }
  seen.add(stage)
}

function checkOutbound(id: string, outbound: unknown, ctx: CheckContext): void {
  const segments = ['routes', id, 'outbound']
  if (!Array.isArray(outbound)) {
    ctx.issues.add('E110', segments, `\`outbound\` must be a list, not ${describeKind(outbound)}`, {suggestion: 'write `outbound:` then `- queue: …` lines'})
    return
  }
  outbound.forEach((entry, index) => {
    const entrySegments: PathSegment[] = [...segments, index]
    if (!isRecord(entry)) {
      ctx.issues.add('E110', entrySegments, `an outbound entry must be a mapping with \`queue:\`, not ${describeKind(entry)}`, {
        suggestion: typeof entry === 'string' ? `write \`- queue: ${truncate(entry, 40)}\`` : 'write `- queue: …`',
      })
      return
    }
    checkKnownKeys(entry, OUTBOUND_KEYS, entrySegments, ctx, 'in an outbound entry')
    if (!hasKey(entry, 'queue') || entry.queue === null) {
      ctx.issues.add('E106', [...entrySegments, 'queue'], 'the outbound entry has no `queue`', {at: 'key', suggestion: 'add `queue:`'})
    } else if (typeof entry.queue !== 'string' || entry.queue.length === 0) {
      ctx.issues.add('E110', [...entrySegments, 'queue'], `\`queue\` must be a non-empty string, not ${describeKind(entry.queue)}`)
    }
    if (hasKey(entry, 'condition')) checkCondition(entry.condition, [...entrySegments, 'condition'], ctx)
  })
}

function checkInitMessage(root: Record<string, unknown>, routeIds: readonly string[], ctx: CheckContext): void {
  const segments = ['init_message']
  const example = routeIds.find((id) => ROUTE_ID_PATTERN.test(id)) ?? '<route id>'
  if (!hasKey(root, 'init_message') || root.init_message === null) {
    ctx.issues.add('E108', segments, 'the pipeline has no `init_message`', {
      at: 'key', suggestion: `add \`init_message: { route: ${example} }\``,
    })
    return
  }
  const init = root.init_message
  if (!isRecord(init)) {
    ctx.issues.add('E108', segments, `\`init_message\` must be a mapping, not ${describeKind(init)}`, {suggestion: `write \`init_message: { route: ${example} }\``})
    return
  }
  checkKnownKeys(init, INIT_KEYS, segments, ctx, 'in `init_message`')
  if (!hasKey(init, 'route') || init.route === null) {
    ctx.issues.add('E108', [...segments, 'route'], '`init_message` names no `route`', {at: 'key', suggestion: `add \`route: ${example}\``})
  } else if (typeof init.route !== 'string') {
    ctx.issues.add('E108', [...segments, 'route'], `\`init_message.route\` must be a route id, not ${describeKind(init.route)}`, {
      suggestion: allowedValues(routeIds, 'routes'),
    })
  } else if (routeIds.length > 0 && !routeIds.includes(init.route)) {
    ctx.issues.add('E108', [...segments, 'route'], `\`init_message.route\` is \`${truncate(init.route)}\`, which names no route`, {
      suggestion: suggestFrom(init.route, routeIds, 'routes'),
    })
  }
  checkFields(init, initMessageSchema.shape, ['payload', 'metadata'], segments, ctx)
}

function safeName(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9_.-]+/g, '_').slice(0, 40) || 'route'
}

function idSuggestion(id: string): string {
  const fixed = id.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 40)
  return fixed.length > 0 ? `use \`${fixed}\`` : 'start with a lower-case letter, then lower case, digits or underscores'
}
