import {setMaxListeners} from 'node:events'

import {v7 as uuidv7} from 'uuid'

import type {AdapterRegistry} from '../adapters/registry.js'
import type {AdapterResources} from '../adapters/types.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
import type {Database} from '../db/types.js'
import {describeError, InternalError, isFactflowError, UnavailableError, UserInputError} from '../errors/index.js'
import type {LineageWriter} from '../lineage/types.js'
import {createLlmClients, type LlmClients} from '../llm/create-chat-client.js'
import {createEmbedders, type Embedders} from '../embeddings/embedders.js'
import type {FileAccess} from '../adapters/files/file-root.js'
import {createFetchers, type Fetchers} from '../adapters/web/fetchers.js'
import type {CpuPool} from '../cpu/cpu-task.js'
import {createInlineCpuPool} from '../cpu/inline-cpu-pool.js'
import type {Logger} from '../logging/logger.js'
import {scopeDestination} from '../queue/create-queue-provider.js'
import {isTopic, type QueueProvider} from '../queue/types.js'
import type {ObjectStore} from '../storage/types.js'
import type {FinishedWork} from './finished-work.js'
import {CircuitBreaker} from './circuit-breaker.js'
import {CompletionTracker} from './completion-tracker.js'
import {derivedId} from './derived-id.js'
import {DEFAULT_MAX_ENVELOPE_BYTES, newEnvelope} from './envelope-codec.js'
import type {Envelope} from './envelope.js'
import type {DeadLetter, ExecutionEvent, ExecutionEventListener, ExecutionStatus, RouteCounters} from './events.js'
import {resolveBackpressure, resolveErrorHandling} from './retry-policy.js'
import {type CompiledStage, type ExecutionScope, RouteProcessor} from './route-processor.js'

export interface OrchestratorDeps {
  queue: QueueProvider
  storage: ObjectStore
  lineage: LineageWriter
  registry: AdapterRegistry
  logger: Logger
  /** The database adapters may use (see `AdapterResources.database`); absent: adapters that need one fail. */
  database?: () => Promise<Database>
  /** The runtime's LLM clients; absent: profiles are read from the settings file on first use, for this execution alone. */
  llm?: LlmClients
  /** The runtime's embedders; absent: built over `llm` for this execution alone. */
  embedders?: Embedders
  /** The runtime's per-host rate limits and browser; absent: this execution's own (with `factflow run`'s network policy). */
  fetchers?: Fetchers
  /** Where file adapters may read; absent: the working directory (as `factflow run`). */
  files?: FileAccess
  /** The runtime's CPU pool; absent: CPU work runs on this thread. */
  cpu?: CpuPool
  /** The database was created for this execution (see `AdapterResources.newDatabase`); default false. */
  newDatabase?: boolean
  /** See `AdapterResources.finishedWork`; absent: no stage ends a chain for work an earlier run finished. */
  finishedWork?: FinishedWork
}

export interface ExecutionOptions {
  pipeline: PipelineConfig
  executionId?: string
  /** Merged over `init_message.payload`. */
  initPayload?: Record<string, unknown>
  initMetadata?: Record<string, unknown>
  /**
   * Start without the init message; the caller feeds routes with `inject` and calls `endInput`
   * when it has published everything (replay, benchmarks).
   */
  skipInitMessage?: boolean
  /**
   * Continue an execution whose queues the broker still holds (recovery after a crash): no init
   * message; the messages waiting in the execution's queues are counted as in flight.
   */
  resume?: boolean
  /** Caps every route's concurrency (`factflow run --concurrency`). */
  concurrencyCap?: number
  /** Write lineage rows (default true). */
  lineage?: boolean
  circuitBreaker?: {failureThreshold?: number; cooldownMs?: number}
  maxEnvelopeBytes?: number
  /** Emit a `stats` event this often while running (ms, default 500; 0 turns it off). */
  statsIntervalMs?: number
}

/** A message `inject` publishes. */
export interface InjectedMessage {
  payload: Record<string, unknown>
  metadata?: Record<string, unknown>
  parentId?: string | null
  messageId?: string
}

export interface ExecutionResult {
  execution_id: string
  status: ExecutionStatus
  duration_ms: number
  routes: Record<string, RouteCounters>
  messages: {total: number; completed: number; failed: number; dead_lettered: number}
  dead_letters: DeadLetter[]
  error?: string
  /** The catalogue code of what failed the execution, when one is known (`QUEUE_BROKER_UNAVAILABLE`). */
  error_code?: string
}

async function noDatabase(): Promise<Database> {
  throw new UnavailableError('DATABASE_UNAVAILABLE', 'This execution has no database, and an adapter needs one.', {
    retryable: false, hint: 'Run with a database (`factflow run --database …`, the default is ./output/db).',
  })
}

/** Adapter types the pipeline uses that are declared but not implemented yet. */
export function unimplementedAdapters(pipeline: PipelineConfig, registry: AdapterRegistry): string[] {
  const missing = new Set<string>()
  for (const route of Object.values(pipeline.routes)) {
    for (const step of route.adapters) if (!registry.get(step.type)?.load) missing.add(step.type)
  }
  return [...missing].sort()
}

/**
 * One execution of one pipeline (docs/reference/engine.md). `start()` builds every adapter, subscribes every
 * route, and only then publishes the init message; `result` settles when the execution drains, is
 * cancelled, or fails.
 */
/**
 * The execution's abort signal is shared by every in-flight adapter call (each LLM request, fetch
 * and limiter wait listens to it), so dozens of listeners are normal, not a leak: without this Node
 * warns `MaxListenersExceededWarning` past 10.
 */
function abortControllerForManyWaiters(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}

export class PipelineOrchestrator {
  readonly executionId: string
  readonly result: Promise<ExecutionResult>
  private readonly processors = new Map<string, RouteProcessor>()
  private readonly controller = abortControllerForManyWaiters()
  private readonly tracker = new CompletionTracker()
  private readonly listeners = new Set<ExecutionEventListener>()
  private messageListeners = 0
  private readonly deadLetters: DeadLetter[] = []
  private status: ExecutionStatus = 'running'
  private error: string | undefined
  private startedAt = 0
  private settle!: (result: ExecutionResult) => void
  private statsTimer: NodeJS.Timeout | undefined
  private finishing: Promise<void> | undefined
  private errorCode: string | undefined
  /** `inject` holds one count until `endInput`. */
  private inputHeld = false
  private inputEnded = false
  private stopWatchingBroker: (() => void) | undefined
  private readonly executionState = new Map<string, unknown>()

  constructor(private readonly options: ExecutionOptions, private readonly deps: OrchestratorDeps) {
    this.executionId = options.executionId ?? uuidv7()
    this.result = new Promise((resolve) => { this.settle = resolve })
  }

  /** Listen to execution events; `messages: true` also delivers per-message events. */
  on(listener: ExecutionEventListener, options: {messages?: boolean} = {}): () => void {
    const wrapped: ExecutionEventListener = options.messages ? listener : (event) => {
      if (event.type !== 'message.processing' && event.type !== 'message.completed') listener(event)
    }
    this.listeners.add(wrapped)
    if (options.messages) this.messageListeners++
    return () => {
      if (this.listeners.delete(wrapped) && options.messages) this.messageListeners--
    }
  }

  get currentStatus(): ExecutionStatus {
    return this.status
  }

  routeCounters(): Record<string, RouteCounters> {
    const out: Record<string, RouteCounters> = {}
    for (const [id, p] of this.processors) out[id] = {...p.counters}
    return out
  }

  async start(): Promise<void> {
    const {pipeline} = this.options
    const missing = unimplementedAdapters(pipeline, this.deps.registry)
    if (missing.length > 0) {
      throw new UserInputError('ADAPTER_NOT_IMPLEMENTED', `This pipeline uses adapters that are not implemented yet: ${missing.join(', ')}.`, {
        hint: 'Run `factflow adapters list` to see which adapters can run today.',
      })
    }
    this.startedAt = performance.now()
    const log = this.deps.logger.child({execution_id: this.executionId})
    const scope: ExecutionScope = {
      executionId: this.executionId,
      queue: this.deps.queue,
      storage: this.deps.storage,
      lineage: this.deps.lineage,
      lineageEnabled: this.options.lineage ?? true,
      logger: log,
      tracker: this.tracker,
      signal: this.controller.signal,
      maxEnvelopeBytes: this.options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES,
      wantsMessageEvents: () => this.messageListeners > 0,
      emit: (event) => this.emit(event),
      onDeadLetter: (deadLetter) => this.onDeadLetter(deadLetter),
    }
    // A broker gone past its reconnect deadline fails the execution; what it holds stays for a resume.
    this.stopWatchingBroker = this.deps.queue.onUnavailable?.((error) => {
      if (this.status !== 'running') return
      this.errorCode = isFactflowError(error) ? error.code : undefined
      this.controller.abort(error)
      void this.finish('failed', describeError(error))
    })
    try {
      await this.buildProcessors(scope)
      if (this.options.resume) {
        // Counted before any consumer starts, so no ack can come before its message was counted.
        let waiting = 0
        for (const routeId of this.processors.keys()) waiting += (await this.deps.queue.depth?.(this.inboundOf(routeId))) ?? 0
        if (waiting > 0) this.tracker.add(waiting)
      }
      for (const processor of this.processors.values()) await processor.start()
    } catch (error) {
      await this.finish('failed', `start-up failed: ${describeError(error)}`)
      throw error
    }
    this.emit({type: 'execution.started', execution_id: this.executionId, routes: [...this.processors.keys()]})
    const interval = this.options.statsIntervalMs ?? 500
    if (interval > 0) {
      this.statsTimer = setInterval(() => this.emit({type: 'stats', execution_id: this.executionId, routes: this.routeCounters()}), interval)
      this.statsTimer.unref()
    }
    void this.tracker.drained.then(() => this.finish('completed'))
    if (this.options.resume) {
      if (this.tracker.inFlight === 0) this.tracker.finishIfIdle()
      return
    }
    if (this.options.skipInitMessage) return
    const init = pipeline.init_message
    // Derived from the execution: an execution restarted from its init message (recovery with a
    // broker that kept nothing) re-creates the same message ids, so its artefacts are overwritten.
    const envelope = newEnvelope({
      executionId: this.executionId, routeId: init.route, stage: null, parentId: null, correlationId: uuidv7(),
      messageId: derivedId(this.executionId, 'init'),
      payload: {...init.payload, ...this.options.initPayload},
      metadata: {...init.metadata, ...this.options.initMetadata},
    })
    this.tracker.add(1)
    await this.deps.queue.publish(this.inboundOf(init.route), JSON.stringify(envelope))
  }

  /** Messages published and not yet acked or dead-lettered. */
  get inFlight(): number {
    return this.tracker.inFlight
  }

  /**
   * Publishes messages to a route's inbound queue as part of this execution (replay, benchmarks).
   * An item's `parentId` links its lineage rows to another message (a replay: the message of the
   * parent execution that stored the artefact); `messageId` defaults to a new UUIDv7.
   */
  async inject(routeId: string, items: ReadonlyArray<InjectedMessage>, options: {correlationId?: string} = {}): Promise<void> {
    const destination = this.inboundOf(this.requireProcessor(routeId).routeId)
    const correlationId = options.correlationId ?? uuidv7()
    const bodies = items.map((item) => ({
      destination,
      body: JSON.stringify(newEnvelope({
        executionId: this.executionId, routeId, stage: null, parentId: item.parentId ?? null, correlationId,
        ...(item.messageId === undefined ? {} : {messageId: item.messageId}),
        payload: item.payload, metadata: item.metadata ?? {},
      })),
    }))
    // While the caller may inject more, the execution must not count as drained: over a broker
    // one batch can be consumed before the next is published (the count would touch zero).
    if (!this.inputHeld && !this.inputEnded) {
      this.inputHeld = true
      this.tracker.add(1)
    }
    this.tracker.add(bodies.length)
    try {
      await this.deps.queue.publishBatch(bodies)
    } catch (error) {
      this.tracker.done(bodies.length)
      throw error
    }
  }

  /**
   * Puts dead-lettered messages back on a route's inbound queue as they were (same ids), with a
   * fresh attempt count (redrive). False, and nothing published, when the execution is no longer
   * taking work (ended, or drained and about to end): the caller starts it again instead.
   */
  async requeue(routeId: string, envelopes: readonly Envelope[]): Promise<boolean> {
    if (this.status !== 'running' || this.tracker.inFlight === 0) return false
    const destination = this.inboundOf(this.requireProcessor(routeId).routeId)
    this.tracker.add(envelopes.length)
    try {
      await this.deps.queue.publishBatch(envelopes.map((envelope) => ({destination, body: JSON.stringify({...envelope, attempt: 1})})))
    } catch (error) {
      this.tracker.done(envelopes.length)
      throw error
    }
    return true
  }

  /** With `skipInitMessage`: nothing more will be injected; the execution ends once drained. */
  endInput(): void {
    if (this.inputEnded) return
    this.inputEnded = true
    if (this.inputHeld) this.tracker.done(1)
    else this.tracker.finishIfIdle()
  }

  pauseRoute(routeId: string): void {
    this.requireProcessor(routeId).pause()
    this.emit({type: 'route.paused', execution_id: this.executionId, route_id: routeId})
  }

  resumeRoute(routeId: string): void {
    this.requireProcessor(routeId).resume()
    this.emit({type: 'route.resumed', execution_id: this.executionId, route_id: routeId})
  }

  /**
   * Stops taking messages, aborts in-flight adapters (their messages go back to the queue) and
   * settles the result as `cancelled`.
   */
  async cancel(reason = 'cancelled by the user'): Promise<ExecutionResult> {
    if (this.status === 'running') {
      this.controller.abort(new Error(reason))
      await this.finish('cancelled', reason)
    }
    return this.result
  }

  /**
   * The process is stopping (server shutdown): like `cancel`, in-flight messages go back to the
   * queue, but the status is `interrupted` and the execution's queues are kept, so it can resume.
   */
  async interrupt(reason = 'the process stopped'): Promise<ExecutionResult> {
    if (this.status === 'running') {
      this.controller.abort(new Error(reason))
      await this.finish('interrupted', reason)
    }
    return this.result
  }

  private requireProcessor(routeId: string): RouteProcessor {
    const processor = this.processors.get(routeId)
    if (!processor) throw new UserInputError('ROUTE_NOT_FOUND', `No route "${routeId}" in this execution.`)
    return processor
  }

  private inboundOf(routeId: string): string {
    return scopeDestination(this.options.pipeline.routes[routeId]!.inbound.queue, this.executionId)
  }

  private async buildProcessors(scope: ExecutionScope): Promise<void> {
    const {pipeline} = this.options
    const readers = new Map<string, number>()
    for (const route of Object.values(pipeline.routes)) {
      readers.set(route.inbound.queue, (readers.get(route.inbound.queue) ?? 0) + 1)
    }
    const llm = this.deps.llm ?? createLlmClients()
    const resources: AdapterResources = {
      storage: this.deps.storage, logger: scope.logger, executionState: this.executionState,
      llm,
      embedders: this.deps.embedders ?? createEmbedders(llm, {logger: scope.logger, cpu: this.deps.cpu}),
      fetchers: this.deps.fetchers ?? createFetchers(),
      files: this.deps.files ?? {root: process.cwd()},
      cpu: this.deps.cpu ?? createInlineCpuPool(),
      newDatabase: this.deps.newDatabase ?? false,
      database: this.deps.database ?? noDatabase,
      ...(this.deps.finishedWork === undefined ? {} : {finishedWork: this.deps.finishedWork}),
    }
    const breakerOptions = {failureThreshold: this.options.circuitBreaker?.failureThreshold ?? 5, cooldownMs: this.options.circuitBreaker?.cooldownMs ?? 30_000}
    for (const [routeId, route] of Object.entries(pipeline.routes)) {
      const stages: CompiledStage[] = []
      for (const [index, step] of route.adapters.entries()) {
        const definition = this.deps.registry.require(step.type)
        const stage = step.id ?? step.type
        const config = definition.configSchema.parse(step.config ?? {})
        const module = await definition.load!()
        const adapter = await module.createAdapter(config, resources)
        const breaker = new CircuitBreaker({
          ...breakerOptions,
          onStateChange: (state) => this.emit({
            type: state === 'open' ? 'circuit.opened' : state === 'closed' ? 'circuit.closed' : 'circuit.half_open',
            execution_id: this.executionId, route_id: routeId, stage,
          }),
        })
        stages.push({index, stage, type: step.type, adapter, condition: step.condition, breaker})
      }
      const errorHandling = resolveErrorHandling(pipeline, route)
      const concurrency = Math.min(route.inbound.concurrency, this.options.concurrencyCap ?? Number.POSITIVE_INFINITY)
      this.processors.set(routeId, new RouteProcessor({
        routeId,
        inbound: scopeDestination(route.inbound.queue, this.executionId),
        subscription: route.inbound.subscription ?? `${routeId}-workers`,
        concurrency,
        prefetch: route.inbound.prefetch ?? concurrency * 2,
        errorHandling,
        backpressure: resolveBackpressure(pipeline, route),
        // The dead-letter queue is shared by executions (messages carry their execution id).
        deadLetterDestination: errorHandling.dead_letter_queue,
        stages,
        outbound: (route.outbound ?? []).map((out) => ({
          destination: isTopic(out.queue) ? out.queue : scopeDestination(out.queue, this.executionId),
          condition: out.condition,
          readers: readers.get(out.queue) ?? 0,
        })),
      }, scope))
    }
  }

  private onDeadLetter(deadLetter: DeadLetter): void {
    this.deadLetters.push(deadLetter)
    const ratio = this.options.pipeline.error_handling?.max_failure_ratio
    if (ratio === undefined || this.status !== 'running') return
    const counts = this.totals()
    const processed = counts.completed + counts.dead_lettered
    if (processed >= 10 && counts.dead_lettered / processed > ratio) {
      this.controller.abort(new Error('failure ratio exceeded'))
      void this.finish('failed', `${counts.dead_lettered} of ${processed} messages were dead-lettered, over max_failure_ratio ${ratio}`)
    }
  }

  private totals(): ExecutionResult['messages'] {
    const messages = {total: 0, completed: 0, failed: 0, dead_lettered: 0}
    for (const p of this.processors.values()) {
      messages.completed += p.counters.completed
      messages.failed += p.counters.failed
      messages.dead_lettered += p.counters.dead_lettered
    }
    messages.total = messages.completed + messages.dead_lettered
    return messages
  }

  private finish(status: ExecutionStatus, error?: string): Promise<void> {
    this.finishing ??= this.doFinish(status, error)
    return this.finishing
  }

  private async doFinish(status: ExecutionStatus, error?: string): Promise<void> {
    this.status = status
    this.error = error
    this.stopWatchingBroker?.()
    if (this.statsTimer) clearInterval(this.statsTimer)
    const processors = [...this.processors.values()]
    await Promise.all(processors.map((p) => p.stop().catch((e: unknown) => this.deps.logger.warn({err: e}, 'route stop failed'))))
    await Promise.all(processors.map((p) => p.closeAdapters()))
    if (status === 'completed') {
      for (const route of Object.values(this.options.pipeline.routes)) {
        await this.deps.queue.deleteQueue(scopeDestination(route.inbound.queue, this.executionId)).catch(() => undefined)
      }
    }
    const result: ExecutionResult = {
      execution_id: this.executionId,
      status,
      duration_ms: Math.round(performance.now() - this.startedAt),
      routes: this.routeCounters(),
      messages: this.totals(),
      dead_letters: this.deadLetters,
      ...(error === undefined ? {} : {error}),
      ...(this.errorCode === undefined ? {} : {error_code: this.errorCode}),
    }
    this.emit({type: 'stats', execution_id: this.executionId, routes: result.routes})
    this.emit({
      type: status === 'completed' ? 'execution.completed' : status === 'cancelled' ? 'execution.cancelled'
        : status === 'interrupted' ? 'execution.interrupted' : 'execution.failed',
      execution_id: this.executionId, status, ...(error === undefined ? {} : {error}),
      ...(this.errorCode === undefined ? {} : {error_code: this.errorCode}),
    })
    this.settle(result)
  }

  private emit(event: ExecutionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (error) {
        this.deps.logger.warn({err: error, event: event.type}, 'an execution event listener threw')
      }
    }
  }
}

/** Convenience: build, start, and return the orchestrator (its `result` settles at the end). */
export async function startExecution(options: ExecutionOptions, deps: OrchestratorDeps): Promise<PipelineOrchestrator> {
  if (Object.keys(options.pipeline.routes).length === 0) throw new InternalError('PIPELINE_EMPTY', 'pipeline has no routes')
  const orchestrator = new PipelineOrchestrator(options, deps)
  await orchestrator.start()
  return orchestrator
}
