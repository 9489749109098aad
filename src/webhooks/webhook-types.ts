/** The event types a subscription may ask for (docs/reference/server.md, "Webhooks"). */
export const WEBHOOK_EVENT_TYPES = [
  'execution.started', 'execution.completed', 'execution.failed', 'execution.cancelled',
  'storage.object_created', 'lineage.failed', 'message.dead_lettered',
] as const

export type WebhookEventType = typeof WEBHOOK_EVENT_TYPES[number]

/** The event type of `POST /webhooks/{id}/test` deliveries (never subscribed to). */
export const WEBHOOK_TEST_EVENT = 'webhook.test'

/** Narrows which events of its types a subscription gets; each set field must equal the event's (see `matchesFilters`). */
export interface WebhookFilters {
  config_id?: string
  execution_id?: string
  route_id?: string
  adapter_name?: string
}

/** A subscription as the API shows it: never its secret. */
export interface WebhookSubscription {
  id: string
  url: string
  event_types: WebhookEventType[]
  filters: WebhookFilters
  description: string | null
  active: boolean
  created_by: string | null
  created_at: string
  updated_at: string
}

/** What a delivery says about its event: the fields filters compare, taken from the event. */
export interface WebhookEventScope {
  config_id?: string | null
  execution_id?: string | null
  route_id?: string | null
  adapter_name?: string | null
}

/** One event to deliver: the body is `{id, event_type, created_at, data}`. */
export interface WebhookEvent {
  id: string
  event_type: WebhookEventType | typeof WEBHOOK_TEST_EVENT
  created_at: string
  data: Record<string, unknown>
  scope: WebhookEventScope
}

export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'dead'

/**
 * How one attempt ended. `http_error`: an answer outside 2xx. `refused`: the network policy refused
 * the address it resolved to. `interrupted`: the sending process stopped before recording the answer.
 */
export type WebhookAttemptStatus = 'succeeded' | 'http_error' | 'timeout' | 'network_error' | 'refused' | 'interrupted'

export interface WebhookAttempt {
  attempt: number
  started_at: string
  duration_ms: number
  status: WebhookAttemptStatus
  response_code: number | null
  response_excerpt: string | null
  error: string | null
}

export interface WebhookDelivery {
  id: string
  subscription_id: string
  event_id: string
  event_type: string
  status: WebhookDeliveryStatus
  attempts: number
  next_attempt_at: string | null
  last_response_code: number | null
  last_error: string | null
  is_test: boolean
  created_at: string
  completed_at: string | null
  payload: Record<string, unknown>
  /** Every attempt, oldest first. */
  attempt_log: WebhookAttempt[]
}

/**
 * Whether an event passes a subscription's filters: every filter the subscription sets must equal
 * the event's value where the event has that field; execution-level events carry no route or
 * adapter, so route and adapter filters narrow only the events that do.
 */
export function matchesFilters(filters: WebhookFilters, scope: WebhookEventScope): boolean {
  for (const key of ['config_id', 'execution_id', 'route_id', 'adapter_name'] as const) {
    const wanted = filters[key]
    if (wanted === undefined) continue
    const actual = scope[key]
    if (actual === undefined) continue
    if (actual !== wanted) return false
  }
  return true
}
