import type {PipelineConfig} from '../config/pipeline-schema.js'
import type {EnvMap} from '../config/env-substitution.js'
import {restorePlaceholders} from '../config/substituted-values.js'
import type {RouteCounters} from '../engine/events.js'
import {ConflictError} from '../errors/index.js'
import {scopeDestination} from '../queue/create-queue-provider.js'
import {isTopic} from '../queue/types.js'
import type {LoggedEvent} from '../executions/logged-event.js'
import {nextEventId, TERMINAL_EVENTS} from '../runtime/execution-event-log.js'
import type {ManagedExecution} from '../runtime/execution-manager.js'
import {pipelineEnvironment, type Runtime} from '../runtime/runtime.js'
import {createConfigService} from './config-service.js'
import {pipelineOfExecution} from './execution-pipeline.js'
import type {ExecutionListFilter, ExecutionRecord, ExecutionStatus} from '../executions/execution-repository.js'

/** An execution as the API shows it: the stored record, with live counters while it runs here. */
export type ExecutionView = ExecutionRecord & {routes?: Record<string, RouteCounters>}

export interface DagView {
  nodes: Array<{route_id: string; name: string; adapters: string[]}>
  edges: Array<{from_route: string; to_route: string; queue: string}>
}

export interface ExecutionServiceOptions {
  /**
   * Variables for the `${NAME}` placeholders a stored snapshot keeps (`redactSubstituted`), used when
   * resuming. Default: what the runtime allows (`pipelineEnvironment`: the server's `pipelines.env`);
   * `factflow run --resume` passes the process environment, as its first run had.
   */
  env?: EnvMap
}

/**
 * Executions for the HTTP API (and any other caller): stored records joined with what the runtime's
 * execution manager knows of the running ones; cancel, resume and the admin status change.
 */
export function createExecutionService(runtime: Runtime, options: ExecutionServiceOptions = {}) {
  const env = options.env ?? pipelineEnvironment(runtime.settings).env
  const repository = async () => (await runtime.store()).executions

  const live = (id: string): ManagedExecution | undefined => runtime.executions.get(id)

  async function get(idOrTag: string): Promise<ExecutionView> {
    const record = await (await repository()).resolve(idOrTag)
    const running = live(record.id)
    return running ? {...record, routes: running.counters()} : record
  }

  const pipelineOf = (record: ExecutionRecord) => pipelineOfExecution(runtime, record, env)

  /** Idempotency keys being started now: a second request with the same key waits for the first. */
  const starting = new Map<string, Promise<{view: ExecutionView; created: boolean}>>()

  async function startFromConfig(input: CreateExecutionInput): Promise<{view: ExecutionView; created: boolean}> {
    if (input.idempotencyKey !== undefined) {
      const existing = await (await repository()).findByIdempotencyKey(input.idempotencyKey)
      if (existing) return {view: await get(existing.id), created: false}
    }
    const configs = createConfigService(runtime)
    const execution = await configs.run(input.configId, {
      tag: input.tag, initPayload: input.initPayload, createdBy: input.createdBy,
      metadata: {...input.metadata, ...(input.idempotencyKey === undefined ? {} : {idempotency_key: input.idempotencyKey})},
    })
    return {view: await get(execution.id), created: true}
  }

  return {
    get,

    /** Starts a stored config; with an idempotency key, a repeated request returns the first execution (`created: false`). */
    async create(input: CreateExecutionInput): Promise<{view: ExecutionView; created: boolean}> {
      const key = input.idempotencyKey
      if (key === undefined) return startFromConfig(input)
      const pending = starting.get(key)
      if (pending) return pending.then(({view}) => ({view, created: false}))
      const started = startFromConfig(input)
      starting.set(key, started)
      try {
        return await started
      } finally {
        starting.delete(key)
      }
    },

    /** The execution's event stream: live from the runtime while it runs here, else from the database. */
    async eventSource(idOrTag: string): Promise<EventSource> {
      const record = await (await repository()).resolve(idOrTag)
      const running = live(record.id)
      if (running) return {subscribe: (after, listener) => running.events.subscribe(after, listener), isTerminal: (e) => TERMINAL_EVENTS.has(e.event)}
      const {events} = await runtime.store()
      return {
        isTerminal: (e) => TERMINAL_EVENTS.has(e.event),
        async subscribe(after, listener) {
          const past = await events.since(record.id, after)
          for (const event of past) listener(event)
          if (!past.some((e) => TERMINAL_EVENTS.has(e.event))) {
            // Ended without a stored terminal event (a process that died): say how it stands.
            const status = record.status === 'running' ? 'interrupted' : record.status
            listener({id: nextEventId(), event: `execution.${status}`, timestamp: new Date().toISOString(), data: {execution_id: record.id, status}})
          }
          return () => undefined
        },
      }
    },

    /** Per-route counters (live while it runs here, else from the stored summary) and totals. */
    async stats(idOrTag: string): Promise<{execution_id: string; status: ExecutionStatus; routes: Record<string, unknown>; totals: Record<string, number>}> {
      const view = await get(idOrTag)
      const routes = (view.routes ?? view.summary?.routes ?? {}) as Record<string, Record<string, unknown>>
      const totals: Record<string, number> = {}
      for (const counters of Object.values(routes)) {
        for (const [name, value] of Object.entries(counters)) if (typeof value === 'number' && name !== 'concurrency_limit') totals[name] = (totals[name] ?? 0) + value
      }
      return {execution_id: view.id, status: view.status, routes, totals}
    },

    /** Each route: its inbound queue, adapters, and (while running here) its state and counters. */
    async routes(idOrTag: string): Promise<Array<Record<string, unknown>>> {
      const view = await get(idOrTag)
      const pipeline = view.config_snapshot as unknown as PipelineConfig
      return Object.entries(pipeline.routes ?? {}).map(([id, route]) => ({
        route_id: id, name: route.name ?? id, queue: scopeDestination(route.inbound.queue, view.id), concurrency: route.inbound.concurrency,
        adapters: route.adapters.map((a) => ({type: a.type, id: a.id ?? a.type})),
        state: view.routes?.[id] ? (view.routes[id].paused ? 'paused' : 'running') : view.status,
        ...(view.routes?.[id] ? {counters: view.routes[id]} : {}),
      }))
    },

    /** Stored executions, newest first; running ones carry their live per-route counters (`routes`), as `get` gives them. */
    async list(filter: ExecutionListFilter) {
      const page = await (await repository()).list(filter)
      return {...page, items: page.items.map((record) => {
        const running = live(record.id)
        return running ? {...record, routes: running.counters()} : record
      })}
    },

    async cancel(idOrTag: string): Promise<ExecutionView> {
      const record = await (await repository()).resolve(idOrTag)
      const running = live(record.id)
      if (!running) {
        throw new ConflictError('EXECUTION_NOT_RUNNING', `Execution ${record.id} is ${record.status}, not running in this server.`, {
          details: {status: record.status},
        })
      }
      await running.orchestrator.cancel('cancelled by the user')
      await running.outcome
      return get(record.id)
    },

    /**
     * Continues an `interrupted` execution: what the broker still holds is consumed; when it holds
     * nothing (the in-process broker after a restart), the init message is published again under
     * the same ids, so completed work is overwritten or skipped by content hash, never duplicated.
     */
    async resume(idOrTag: string): Promise<ExecutionView> {
      const executions = await repository()
      const record = await executions.resolve(idOrTag)
      if (record.status !== 'interrupted') {
        throw new ConflictError('EXECUTION_NOT_INTERRUPTED', `Execution ${record.id} is ${record.status}; only an interrupted execution can be resumed.`, {
          details: {status: record.status},
        })
      }
      const pipeline = await pipelineOf(record)
      let waiting = 0
      for (const route of Object.values(pipeline.routes)) {
        waiting += (await runtime.queue.depth?.(scopeDestination(route.inbound.queue, record.id))) ?? 0
      }
      await executions.updateStatus(record.id, {status: 'running', only_from: ['interrupted'], completed_at: null})
      try {
        await runtime.executions.start({
          pipeline, pipelineName: record.config_name, configId: record.config_id, tag: record.tag ?? undefined,
          initPayload: restorePlaceholders(record.metadata.init_payload as Record<string, unknown> | undefined, env),
          resume: {executionId: record.id, fromInit: waiting === 0},
        })
      } catch (error) {
        await executions.updateStatus(record.id, {status: 'interrupted', only_from: ['running']}).catch(() => undefined)
        throw error
      }
      return get(record.id)
    },

    /** `{status: cancelled}` cancels; `failed` / `completed` mark a stuck row (not running here). */
    async setStatus(idOrTag: string, status: Extract<ExecutionStatus, 'cancelled' | 'failed' | 'completed'>): Promise<ExecutionView> {
      const executions = await repository()
      const record = await executions.resolve(idOrTag)
      const running = live(record.id)
      if (running) {
        if (status !== 'cancelled') {
          throw new ConflictError('EXECUTION_RUNNING', `Execution ${record.id} is running; cancel it instead of marking it ${status}.`)
        }
        await running.orchestrator.cancel('cancelled by the user')
        await running.outcome
        return get(record.id)
      }
      await executions.updateStatus(record.id, {status, only_from: ['running', 'interrupted']})
      return get(record.id)
    },

    async dag(idOrTag: string): Promise<DagView> {
      const record = await (await repository()).resolve(idOrTag)
      return dagOf(record.config_snapshot as unknown as PipelineConfig, record.id)
    },
  }
}

export type ExecutionService = ReturnType<typeof createExecutionService>

export interface CreateExecutionInput {
  configId: string
  tag?: string
  metadata?: Record<string, unknown>
  idempotencyKey?: string
  initPayload?: Record<string, unknown>
  createdBy?: string | null
}

/** What an SSE stream reads (server/sse.ts). */
export interface EventSource {
  subscribe(afterId: string | undefined, listener: (event: LoggedEvent) => void): Promise<() => void>
  isTerminal(event: LoggedEvent): boolean
}

/** Routes as nodes, queues as edges (a route's outbound queue to every route that reads it). */
export function dagOf(pipeline: PipelineConfig, executionId: string): DagView {
  const routes = Object.entries(pipeline.routes ?? {})
  const nodes = routes.map(([id, route]) => ({route_id: id, name: route.name ?? id, adapters: route.adapters.map((a) => a.id ?? a.type)}))
  const edges: DagView['edges'] = []
  for (const [from, route] of routes) {
    for (const out of route.outbound ?? []) {
      for (const [to, target] of routes) {
        if (target.inbound.queue !== out.queue) continue
        edges.push({from_route: from, to_route: to, queue: isTopic(out.queue) ? out.queue : scopeDestination(out.queue, executionId)})
      }
    }
  }
  return {nodes, edges}
}
