import {v7 as uuidv7} from 'uuid'

import type {PipelineConfig} from '../config/pipeline-schema.js'
import type {DeadLetter} from '../engine/events.js'
import type {LoggedEvent} from '../executions/logged-event.js'
import type {EventOrigin} from '../runtime/execution-manager.js'
import type {StorageCreatedEvent} from '../storage/types.js'
import type {WebhookEvent} from './webhook-types.js'

const EXECUTION_EVENTS: ReadonlySet<string> = new Set(['execution.started', 'execution.completed', 'execution.failed', 'execution.cancelled'])

/** The adapter type of a stage (`id` or type of an adapter entry) of a route. */
export function adapterOfStage(pipeline: PipelineConfig | undefined, routeId: string | null | undefined, stage: string | null | undefined): string | null {
  if (stage === null || stage === undefined) return null
  const adapters = routeId ? pipeline?.routes[routeId]?.adapters : undefined
  return adapters?.find((a) => (a.id ?? a.type) === stage)?.type ?? stage
}

/**
 * The webhook event of an execution's logged event, when it is one of the types subscriptions
 * take: the four execution events, `message.dead_lettered`, and `lineage.failed` (each failed
 * attempt, as its lineage row records it; `will_retry` says whether another follows).
 */
export function webhookEventOf(logged: LoggedEvent, origin: EventOrigin): WebhookEvent | undefined {
  const base = {id: logged.id, created_at: logged.timestamp}
  const execution = {config_id: origin.configId, execution_id: origin.id}
  if (EXECUTION_EVENTS.has(logged.event)) {
    return {...base, event_type: logged.event as WebhookEvent['event_type'], data: {...logged.data, ...execution, pipeline: origin.pipeline.name ?? null}, scope: execution}
  }
  if (logged.event === 'message.failed') {
    const d = logged.data as {route_id: string; message_id: string; stage: string | null; attempt: number; will_retry: boolean; error: unknown}
    const adapter = adapterOfStage(origin.pipeline, d.route_id, d.stage)
    return {
      ...base, event_type: 'lineage.failed',
      data: {...execution, route_id: d.route_id, message_id: d.message_id, stage: d.stage, adapter_name: adapter, attempt: d.attempt, will_retry: d.will_retry, error: d.error},
      scope: {...execution, route_id: d.route_id, adapter_name: adapter},
    }
  }
  if (logged.event === 'message.dead_lettered') {
    const dl = (logged.data as {dead_letter: DeadLetter}).dead_letter
    const adapter = adapterOfStage(origin.pipeline, dl.route_id, dl.stage)
    // The message's payload stays out: it may be large, and the dead-letter API shows it.
    return {
      ...base, event_type: 'message.dead_lettered',
      data: {...execution, route_id: dl.route_id, stage: dl.stage, adapter_name: adapter, message_id: dl.envelope.message_id, attempts: dl.attempts, error: dl.error},
      scope: {...execution, route_id: dl.route_id, adapter_name: adapter},
    }
  }
  return undefined
}

/** `storage.object_created` of a stored artefact; `origin` is its running execution when known. */
export function storageWebhookEvent(created: StorageCreatedEvent, origin: EventOrigin | undefined): WebhookEvent {
  const m = created.metadata
  const routeId = typeof m.route_id === 'string' ? m.route_id : null
  const adapter = adapterOfStage(origin?.pipeline, routeId, typeof m.stage === 'string' ? m.stage : null)
  const scope = {config_id: origin?.configId ?? null, execution_id: m.execution_id ?? null, route_id: routeId, adapter_name: adapter}
  return {
    id: uuidv7(), event_type: 'storage.object_created', created_at: new Date().toISOString(),
    data: {key: created.key, size: created.size, content_type: created.content_type, stage: m.stage ?? null, ...scope},
    scope,
  }
}
