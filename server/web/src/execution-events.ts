import type {RouteCounters} from '../../../src/engine/events.js'

export type {RouteCounters}

/** One event of an execution's SSE stream (`GET /executions/{id}/events`): its id, type and JSON data. */
export interface StreamEvent {
  id: string
  event: string
  data: Record<string, unknown>
}

export interface FailureItem {
  id: string
  route_id: string
  stage: string | null
  message: string
  error_code: string | undefined
  attempt: number | undefined
  will_retry: boolean
  dead_lettered: boolean
  at: string | undefined
}

/** What the execution page shows live, folded from the stream by {@link applyEvent}. */
export interface ExecutionLive {
  /** `running` once the stream says so, then the terminal status; undefined before any event. */
  status: string | undefined
  routes: Record<string, RouteCounters>
  /** Messages done (completed + dead-lettered) per second per route, over the last {@link RATE_WINDOW_MS} of stream time. */
  rates: Record<string, number>
  samples: Array<{at: number; done: Record<string, number>}>
  /** Newest first, at most {@link MAX_RECENT}; `stats` events are not listed. */
  recent: StreamEvent[]
  /** Failed attempts and dead letters, newest first, at most {@link MAX_FAILURES}. */
  failures: FailureItem[]
  circuits: Record<string, string>
  lastEventId: string | undefined
  ended: boolean
  terminalError: string | undefined
}

export const MAX_RECENT = 200
export const MAX_FAILURES = 100
export const RATE_WINDOW_MS = 5000
export const TERMINAL = new Set(['execution.completed', 'execution.failed', 'execution.cancelled', 'execution.interrupted'])

export function initialLive(): ExecutionLive {
  return {status: undefined, routes: {}, rates: {}, samples: [], recent: [], failures: [], circuits: {}, lastEventId: undefined, ended: false, terminalError: undefined}
}

/**
 * Folds one stream event into the live state (pure: returns a new state). Rates are measured on the
 * events' own timestamps, not on arrival, so events replayed after a reconnect or on opening a
 * finished execution do not show as a burst.
 */
export function applyEvent(state: ExecutionLive, event: StreamEvent): ExecutionLive {
  if (state.ended) return state
  const next: ExecutionLive = {...state, lastEventId: event.id}
  const data = event.data
  const at = typeof data.timestamp === 'string' ? data.timestamp : undefined
  if (event.event !== 'stats') next.recent = [event, ...state.recent].slice(0, MAX_RECENT)
  switch (event.event) {
    case 'execution.started':
      next.status = 'running'
      break
    case 'stats': {
      if (next.status === undefined) next.status = 'running'
      next.routes = (data.routes ?? {}) as Record<string, RouteCounters>
      const time = at === undefined ? Date.now() : Date.parse(at)
      const done: Record<string, number> = {}
      for (const [route, c] of Object.entries(next.routes)) done[route] = c.completed + c.dead_lettered
      const samples = [...state.samples, {at: time, done}]
      while (samples.length > 2 && time - samples[0]!.at > RATE_WINDOW_MS) samples.shift()
      next.samples = samples
      next.rates = ratesOf(samples)
      break
    }
    case 'message.failed': {
      const error = (data.error ?? {}) as {message?: string; code?: string}
      next.failures = [{
        id: event.id, route_id: String(data.route_id ?? ''), stage: (data.stage as string | null) ?? null,
        message: error.message ?? 'failed', error_code: error.code, attempt: data.attempt as number | undefined,
        will_retry: Boolean(data.will_retry), dead_lettered: false, at,
      }, ...state.failures].slice(0, MAX_FAILURES)
      break
    }
    case 'message.dead_lettered': {
      const letter = (data.dead_letter ?? {}) as {route_id?: string; stage?: string | null; attempts?: number; error?: {message?: string; code?: string}}
      next.failures = [{
        id: event.id, route_id: letter.route_id ?? '', stage: letter.stage ?? null, message: letter.error?.message ?? 'dead-lettered',
        error_code: letter.error?.code, attempt: letter.attempts, will_retry: false, dead_lettered: true, at,
      }, ...state.failures].slice(0, MAX_FAILURES)
      break
    }
    case 'route.paused': case 'route.resumed': {
      const route = String(data.route_id)
      const counters = state.routes[route]
      if (counters) next.routes = {...state.routes, [route]: {...counters, paused: event.event === 'route.paused'}}
      break
    }
    case 'circuit.opened': case 'circuit.closed': case 'circuit.half_open':
      next.circuits = {...state.circuits, [`${String(data.route_id)}/${String(data.stage)}`]: event.event.slice('circuit.'.length)}
      break
    default:
      if (TERMINAL.has(event.event)) {
        next.status = typeof data.status === 'string' ? data.status : event.event.slice('execution.'.length)
        next.ended = true
        next.terminalError = typeof data.error === 'string' ? data.error : undefined
        next.rates = Object.fromEntries(Object.keys(next.rates).map((route) => [route, 0]))
      }
  }
  return next
}

function ratesOf(samples: ExecutionLive['samples']): Record<string, number> {
  const oldest = samples[0]
  const newest = samples.at(-1)
  if (!oldest || !newest || newest.at <= oldest.at) return {}
  const seconds = (newest.at - oldest.at) / 1000
  return Object.fromEntries(Object.keys(newest.done).map((route) => [route, ((newest.done[route] ?? 0) - (oldest.done[route] ?? 0)) / seconds]))
}

/** Counters summed over routes (the execution's totals). */
export function totalsOf(routes: Record<string, RouteCounters>): {received: number; completed: number; failed: number; dead_lettered: number; in_flight: number} {
  const totals = {received: 0, completed: 0, failed: 0, dead_lettered: 0, in_flight: 0}
  for (const c of Object.values(routes)) {
    totals.received += c.received
    totals.completed += c.completed
    totals.failed += c.failed
    totals.dead_lettered += c.dead_lettered
    totals.in_flight += c.in_flight ?? 0
  }
  return totals
}
