import {v7 as uuidv7} from 'uuid'

import type {PipelineConfig} from '../config/pipeline-schema.js'
import {parseDatabaseLocation} from '../db/open-database.js'
import type {DeadLetter, ExecutionEvent, ExecutionStatus, RouteCounters} from '../engine/events.js'
import {finishedWorkOf} from '../engine/finished-work.js'
import {type ExecutionResult, PipelineOrchestrator, unimplementedAdapters} from '../engine/pipeline-orchestrator.js'
import {ConflictError, describeError, LimitExceededError, NotFoundError, UnavailableError, UserInputError} from '../errors/index.js'
import {pendingExecutionRecordsFor} from '../executions/pending-execution-records.js'
import {noopLineageWriter} from './deferred-lineage-writer.js'
import {ExecutionEventLog, type LoggedEvent, TERMINAL_EVENTS} from './execution-event-log.js'
import type {Runtime} from './runtime.js'
import {withTimeout} from './with-timeout.js'

/** What starting an execution takes: domain values, never flags or HTTP bodies. */
export interface StartExecutionOptions {
  pipeline: PipelineConfig
  /** Shown in lists and summaries (default: `pipeline.name`). */
  pipelineName?: string
  /** The stored config it was started from (server). */
  configId?: string | null
  /** Merged over `init_message.payload`. */
  initPayload?: Record<string, unknown>
  /** Unique across executions; paths accept it in place of the id. */
  tag?: string
  /** Stored with the execution (e.g. the source file of `factflow run`). */
  metadata?: Record<string, unknown>
  /** Caps every route's concurrency. */
  concurrencyCap?: number
  /** Cancel after this long (status `cancelled`, error "timeout after … ms"). */
  timeoutMs?: number
  /** The identity that started it (trusted proxy header). */
  createdBy?: string | null
  /** Start every route without the init message (replay). */
  skipInitMessage?: boolean
  /** The execution this one replays (stored as `parent_execution_id`). */
  parentExecutionId?: string
  /** What it replays (stored as `replay_source`). */
  replaySource?: Record<string, unknown>
  /**
   * Continue an existing execution (recovery): its id, no new record. With `fromInit` its init
   * message is published again (the broker kept nothing; deterministic message ids and content
   * hashes make the redo overwrite, not duplicate); otherwise the messages the broker still holds
   * are consumed.
   */
  resume?: {executionId: string; fromInit?: boolean}
  /**
   * Applied to what is stored with the execution (`config_snapshot`, `metadata`): the caller's
   * redaction of substituted secrets (`redactSubstituted`). Default: stored as given.
   */
  redact?: <T>(value: T) => T
}

/** Per-route counts kept in the execution's summary (the counters without the live-only ones). */
export type RouteSummary = Pick<RouteCounters,
  'received' | 'completed' | 'failed' | 'dead_lettered' | 'unchanged' | 'embedded' | 'elements' | 'elements_done' | 'elements_failed' | 'ended_unchanged'>

/** How an execution ended, once its lineage rows, dead letters and status are stored. */
export interface ExecutionOutcome {
  result: ExecutionResult
  /** Set when the end could not be recorded in the database. */
  databaseError?: string
}

/** One execution the manager runs. */
export class ManagedExecution {
  /** Settles when the execution ended and its end is recorded (never rejects). */
  readonly outcome: Promise<ExecutionOutcome>

  constructor(
    readonly id: string,
    readonly pipelineName: string,
    readonly pipeline: PipelineConfig,
    readonly tag: string | undefined,
    readonly orchestrator: PipelineOrchestrator,
    readonly events: ExecutionEventLog,
    outcome: Promise<ExecutionOutcome>,
  ) {
    this.outcome = outcome
  }

  get status(): ExecutionStatus {
    return this.orchestrator.currentStatus
  }

  get routes(): string[] {
    return Object.keys(this.pipeline.routes)
  }

  counters(): Record<string, RouteCounters> {
    return this.orchestrator.routeCounters()
  }
}

/** Which execution a logged event belongs to (for listeners of every execution's events). */
export interface EventOrigin {
  id: string
  configId: string | null
  pipeline: PipelineConfig
}

export type ExecutionEventsListener = (event: LoggedEvent, origin: EventOrigin) => void

/**
 * The OrchestratorManager of docs/reference/engine.md: owns every running execution of a runtime, caps how
 * many run at once, finds them by id or tag, cancels, pauses and resumes them, and records how each
 * ended (lineage flushed, dead letters and status stored, events archived).
 */
export class ExecutionManager {
  private readonly running = new Map<string, ManagedExecution>()
  private readonly byTag = new Map<string, string>()
  private shuttingDown = false
  /** Executions between the limit check and their `start` settling: they count toward the limit. */
  private starting = 0
  private readonly startingTags = new Set<string>()
  private readonly eventListeners = new Set<ExecutionEventsListener>()

  constructor(private readonly runtime: Runtime) {}

  /**
   * Calls `listener` with each logged event (the SSE stream's events) of every execution started
   * from now on, as it is logged; a listener that throws is logged and ignored. Returns the
   * unsubscribe function.
   */
  onEvent(listener: ExecutionEventsListener): () => void {
    this.eventListeners.add(listener)
    return () => { this.eventListeners.delete(listener) }
  }

  get limit(): number {
    return this.runtime.settings.maxConcurrentExecutions ?? 8
  }

  list(): ManagedExecution[] {
    return [...this.running.values()]
  }

  /** A running execution by id or tag. */
  get(idOrTag: string): ManagedExecution | undefined {
    return this.running.get(idOrTag) ?? this.running.get(this.byTag.get(idOrTag) ?? '')
  }

  /**
   * Records the execution (status `running`, frozen snapshot), builds and subscribes every route,
   * then publishes the init message. With `databaseOpening: 'background'` the record is written
   * once the database is open, while the execution already runs.
   * @throws LimitExceededError `EXECUTION_LIMIT_REACHED` over `limits.max_concurrent_executions`.
   * @throws ConflictError `EXECUTION_TAG_TAKEN`.
   */
  async start(options: StartExecutionOptions): Promise<ManagedExecution> {
    if (this.shuttingDown) throw new UnavailableError('SERVER_SHUTTING_DOWN', 'The runtime is shutting down; no new execution can start.')
    // An execution that ended but is still storing its last lineage rows no longer counts.
    const active = this.list().filter((execution) => execution.status === 'running').length + this.starting
    if (active >= this.limit) {
      throw new LimitExceededError('EXECUTION_LIMIT_REACHED', `${active} executions are running, the limit is ${this.limit}.`, {
        retryable: true, hint: 'Wait for one to finish or cancel one, or raise limits.max_concurrent_executions (FACTFLOW_MAX_CONCURRENT_EXECUTIONS).',
      })
    }
    if (options.tag !== undefined && (this.byTag.has(options.tag) || this.startingTags.has(options.tag))) {
      throw new ConflictError('EXECUTION_TAG_TAKEN', `Another execution already has the tag ${JSON.stringify(options.tag)}`, {
        hint: 'Tags are unique: choose another tag, or look the existing execution up by this one.',
      })
    }
    this.starting++
    if (options.tag !== undefined) this.startingTags.add(options.tag)
    try {
      return await this.startCounted(options)
    } finally {
      this.starting--
      if (options.tag !== undefined) this.startingTags.delete(options.tag)
    }
  }

  private async startCounted(options: StartExecutionOptions): Promise<ManagedExecution> {
    const {pipeline} = options
    const missing = unimplementedAdapters(pipeline, this.runtime.registry)
    if (missing.length > 0) {
      throw new UserInputError('ADAPTER_NOT_IMPLEMENTED', `This pipeline uses adapters that are not implemented yet: ${missing.join(', ')}.`, {
        hint: 'Run `factflow adapters list` to see which adapters can run today.',
      })
    }
    const runtime = this.runtime
    const id = options.resume?.executionId ?? uuidv7()
    const pipelineName = options.pipelineName ?? pipeline.name ?? 'pipeline'
    const redact = options.redact ?? (<T>(value: T) => value)
    const record = {
      id, config_id: options.configId ?? null, config_name: pipelineName, config_snapshot: redact({...pipeline}), tag: options.tag ?? null,
      metadata: redact({...options.metadata, init_payload: options.initPayload ?? {}}), created_by: options.createdBy ?? null,
      parent_execution_id: options.parentExecutionId ?? null, replay_source: options.replaySource ?? null,
    }
    // The execution runs before its row can be written: kept on disk until then, so that a kill in
    // between still leaves an execution the next run can mark interrupted.
    const pending = options.resume || runtime.settings.databaseOpening !== 'background'
      ? undefined
      : pendingExecutionRecordsFor(parseDatabaseLocation(runtime.settings.databaseUrl))
    // Best effort: a folder that cannot be written (a read-only place) costs only this protection;
    // the database's own open reports what is wrong with the location.
    await pending?.write(record).catch((error: unknown) => {
      runtime.logger.debug({err: error, execution_id: id}, 'the pending execution record could not be written')
    })
    const recorded = options.resume ? runtime.store().then(() => undefined) : runtime.store().then(async ({executions}) => {
      await executions.create(record)
      await pending?.remove(id)
    })
    if (runtime.settings.databaseOpening === 'first') await recorded
    else recorded.catch(() => undefined)

    const archive = runtime.store().then((store) => store.events, () => undefined)
    const events = new ExecutionEventLog(id, {
      append: async (executionId, batch) => { await recorded; await (await archive)?.append(executionId, batch) },
      since: async (executionId, afterId) => (await (await archive)?.since(executionId, afterId)) ?? [],
    }, 2000, (error) => runtime.logger.debug({err: error, execution_id: id}, 'execution events could not be archived'))
    const origin: EventOrigin = {id, configId: options.configId ?? null, pipeline}
    events.onEvent((event) => {
      for (const listener of this.eventListeners) {
        try {
          listener(event, origin)
        } catch (error) {
          runtime.logger.warn({err: error, execution_id: id}, 'an execution event listener threw')
        }
      }
    })

    const lineageOn = runtime.settings.lineage ?? true
    const orchestrator = new PipelineOrchestrator({
      pipeline, executionId: id, initPayload: options.initPayload, concurrencyCap: options.concurrencyCap, lineage: lineageOn,
      initMetadata: options.tag ? {tag: options.tag} : undefined, skipInitMessage: options.skipInitMessage,
      resume: options.resume !== undefined && !options.resume.fromInit,
    }, {
      queue: runtime.queue, storage: runtime.storage, lineage: lineageOn ? runtime.lineage : noopLineageWriter,
      registry: runtime.registry, logger: runtime.logger, llm: runtime.llm, embedders: runtime.embedders, fetchers: runtime.fetchers,
      files: {root: runtime.settings.filesRoot === undefined ? process.cwd() : runtime.settings.filesRoot},
      cpu: runtime.cpu, newDatabase: runtime.takeNewDatabase(), database: () => runtime.store().then((store) => store.db),
      finishedWork: finishedWorkOf(pipeline, record.config_snapshot, () => runtime.llm.profiles()),
    })
    // The terminal event waits until the end is stored: a client that saw `execution.completed`
    // then reads the stored status, summary and completed_at.
    let terminal: ExecutionEvent | undefined
    orchestrator.on((event) => {
      if (TERMINAL_EVENTS.has(event.type)) terminal = event
      else events.append(event)
    })
    try {
      await orchestrator.start()
    } catch (error) {
      await pending?.remove(id).catch(() => undefined)
      await recorded.then(() => runtime.store()).then(({executions}) => executions.updateStatus(id, {
        status: 'failed', error_info: {message: describeError(error)},
      })).catch(() => undefined)
      throw error
    }
    let timer: NodeJS.Timeout | undefined
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => void orchestrator.cancel(`timeout after ${options.timeoutMs} ms`), options.timeoutMs)
      timer.unref()
    }
    const outcome = orchestrator.result.then(async (result) => {
      if (timer) clearTimeout(timer)
      const ended = await this.recordEnd(id, result, recorded)
      // Ended, recorded or not: no longer a killed run's trace.
      await pending?.remove(id).catch(() => undefined)
      if (terminal) events.append(terminal)
      await events.flush()
      this.forget(id, options.tag)
      return ended
    })
    const execution = new ManagedExecution(id, pipelineName, pipeline, options.tag, orchestrator, events, outcome)
    this.running.set(id, execution)
    if (options.tag !== undefined) this.byTag.set(options.tag, id)
    return execution
  }

  /** @throws NotFoundError `EXECUTION_NOT_RUNNING` when no running execution has this id or tag. */
  require(idOrTag: string): ManagedExecution {
    const execution = this.get(idOrTag)
    if (!execution) {
      throw new NotFoundError('EXECUTION_NOT_RUNNING', `No running execution ${JSON.stringify(idOrTag)} in this process.`, {
        hint: 'List executions to find its id; an ended execution cannot be cancelled or paused.',
      })
    }
    return execution
  }

  async cancel(idOrTag: string, reason?: string): Promise<ExecutionResult> {
    return this.require(idOrTag).orchestrator.cancel(reason)
  }

  /** Pauses (or resumes) a route by id in every running execution that has it, or in one. Returns the executions touched. */
  setRouteState(routeId: string, state: 'paused' | 'running', executionId?: string): string[] {
    const targets = executionId === undefined ? this.list() : [this.require(executionId)]
    const touched: string[] = []
    for (const execution of targets) {
      if (!(routeId in execution.pipeline.routes)) continue
      if (state === 'paused') execution.orchestrator.pauseRoute(routeId)
      else execution.orchestrator.resumeRoute(routeId)
      touched.push(execution.id)
    }
    return touched
  }

  /**
   * Stops every running execution for a process shutdown: processors stop, in-flight messages go
   * back to the queue, and the executions are recorded as `interrupted` (resumable).
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true
    const executions = this.list()
    await Promise.all(executions.map(async (execution) => {
      await execution.orchestrator.interrupt('the process is shutting down')
      await execution.outcome
    }))
  }

  private forget(id: string, tag: string | undefined): void {
    this.running.delete(id)
    if (tag !== undefined && this.byTag.get(tag) === id) this.byTag.delete(tag)
  }

  private async recordEnd(id: string, result: ExecutionResult, recorded: Promise<void>): Promise<ExecutionOutcome> {
    const timeoutMs = this.runtime.settings.lineageFlushTimeoutMs ?? 60_000
    try {
      const {executions} = await withTimeout(this.runtime.store(), timeoutMs, 'database did not open in time')
      await recorded
      await this.runtime.lineage.flush(timeoutMs)
      for (const dl of result.dead_letters) await recordDeadLetter(executions, id, dl)
      await executions.updateStatus(id, {
        status: result.status, summary: {routes: summariseRoutes(result), messages: result.messages},
        error_info: result.error ? {message: result.error, ...(result.error_code ? {code: result.error_code} : {})} : null,
      })
      return {result}
    } catch (error) {
      return {result, databaseError: describeError(error)}
    }
  }
}

async function recordDeadLetter(executions: Awaited<ReturnType<Runtime['store']>>['executions'], id: string, dl: DeadLetter): Promise<void> {
  await executions.recordDeadLetter({
    execution_id: id, route_id: dl.route_id, stage: dl.stage, message: {...dl.envelope}, error_info: {...dl.error}, attempts: dl.attempts,
  })
}

export function summariseRoutes(result: Pick<ExecutionResult, 'routes'>): Record<string, RouteSummary> {
  const routes: Record<string, RouteSummary> = {}
  for (const [id, c] of Object.entries(result.routes)) {
    routes[id] = {
      received: c.received, completed: c.completed, failed: c.failed, dead_lettered: c.dead_lettered, unchanged: c.unchanged, embedded: c.embedded,
      elements: c.elements, elements_done: c.elements_done, elements_failed: c.elements_failed, ended_unchanged: c.ended_unchanged,
    }
  }
  return routes
}
