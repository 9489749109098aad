import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {AdapterRegistry} from '../adapters/registry.js'
import {providerOfQueueUrl} from '../config/queue-names.js'
import {redactSubstituted} from '../config/substituted-values.js'
import {parseDatabaseLocation} from '../db/open-database.js'
import {syncOnClose} from '../db/sync-directory.js'
import {pendingExecutionRecordsFor} from '../executions/pending-execution-records.js'
import {networkPolicyOf} from '../config/app-settings.js'
import type {LlmProfiles} from '../llm/settings.js'
import type {NetworkPolicy} from '../network/address-policy.js'
import {currentProcessIdentity, formatProcessIdentity, isProcessAlive, parseProcessIdentity, type ProcessIdentity} from '../os/process-identity.js'
import type {ExecutionEvent, ExecutionEventListener} from '../engine/events.js'
import {type ExecutionResult, unimplementedAdapters} from '../engine/pipeline-orchestrator.js'
import {ConflictError, isFactflowError, NotFoundError, UserInputError} from '../errors/index.js'
import type {LineageWriter} from '../lineage/types.js'
import type {Logger} from '../logging/logger.js'
import {type ManagedExecution, type RouteSummary, summariseRoutes} from './execution-manager.js'
import {buildInitOverrides} from './init-overrides.js'
import {PipelineInvalidError} from './pipeline-invalid-error.js'
import type {PreopenedDatabase} from './preopen-database.js'
import type {Runtime} from './runtime.js'

/** Inputs of one inline run (`factflow run`); the command maps its flags onto this. */
export interface RunPipelineOptions {
  /** The pipeline file; unused (may be empty) with `resume`. */
  pipelinePath: string
  /**
   * Continue this interrupted execution (id or tag) from its stored snapshot instead of starting
   * one: what the broker still holds is consumed, else its init message is published again under
   * the same ids (the server's resume). An execution a killed run left `running` is recovered first.
   */
  resume?: string
  sets?: readonly string[]
  initPayload?: string
  tag?: string
  concurrency?: number
  /** Cancel the run after this long (status `cancelled`, error "timeout"). */
  timeoutMs?: number
  /** Default `file://./output/storage`. */
  storageUri?: string
  /** Default `./output/db` (embedded PGlite); `postgres://…` for a real server. */
  databaseUrl?: string
  /** The database `preopenDatabase` started opening for `databaseUrl`; closed when the run stops before its runtime takes it. */
  preopenedDatabase?: PreopenedDatabase
  /** Default `memory://` (in-process broker). */
  queueUrl?: string
  /** Write lineage rows (default true). */
  lineage?: boolean
  env?: Record<string, string | undefined>
  /** How long the end of a run may wait for the database to take the last lineage rows. */
  lineageFlushTimeoutMs?: number
}

export type {RouteSummary}

export interface RunPipelineDeps {
  logger: Logger
  registry: AdapterRegistry
}


/** The document `factflow run --json` prints (issue "Engine and factflow run"). */
export interface RunSummary {
  execution_id: string
  pipeline: string
  status: ExecutionResult['status']
  duration_ms: number
  routes: Record<string, RouteSummary>
  messages: ExecutionResult['messages']
  failures: Array<{route: string; stage: string | null; attempts: number; error: string; code?: string}>
  error?: string
  /** The catalogue code of `error` when known (`QUEUE_BROKER_UNAVAILABLE` → exit 4). */
  error_code?: string
  storage: {uri: string; prefix: string}
  database: {location: string; lineage_rows: number; lineage_dropped: number; error?: string}
}

export interface RunHandle {
  executionId: string
  pipelineName: string
  routes: string[]
  /** Subscribe to execution events (the live view). */
  on(listener: ExecutionEventListener): () => void
  /** Graceful stop: in-flight messages finish or go back to the queue; status `cancelled`. */
  cancel(reason?: string): void
  /** Settles when the messages have drained (before the last lineage rows are stored). */
  drained: Promise<ExecutionResult>
  /** Lineage rows written so far and still waiting for the database. */
  lineageStats(): ReturnType<LineageWriter['stats']>
  summary: Promise<RunSummary>
  /**
   * Executions that runs killed earlier (SIGKILL, power loss) left `running`, now marked
   * `interrupted`; settles once the database is open (empty when it cannot open).
   */
  recovered: Promise<string[]>
}

const DEFAULT_STORAGE = 'file://./output/storage'
const DEFAULT_DATABASE = './output/db'
const DEFAULT_QUEUE = 'memory://'

/** Reads, validates and loads a pipeline file; an invalid file throws `PipelineInvalidError`. */
export async function loadPipelineFile(file: string, options: {
  provider: string
  env?: Record<string, string | undefined>
  registry: AdapterRegistry
  /** Profile names beyond `local` and `default` (from the settings the run will use). */
  profiles?: readonly string[]
}) {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new NotFoundError('PIPELINE_NOT_FOUND', `Cannot read pipeline file ${file}: ${error.code ?? error.message}`, {
      hint: 'Check the path; shipped examples live in config/pipelines/.',
    })
  })
  const {loadPipeline} = await import('../config/load-pipeline.js')
  const loaded = loadPipeline(text, {
    fileName: file, provider: options.provider, env: options.env ?? process.env, registry: options.registry, profiles: options.profiles,
  })
  if (!loaded.pipeline) throw new PipelineInvalidError(file, loaded.report)
  return {pipeline: loaded.pipeline, report: loaded.report, substituted: loaded.substituted}
}

/**
 * Starts one inline run: a runtime with one execution. Validates, opens storage and the broker,
 * starts the engine at once (the database opens in the background; lineage rows wait for it),
 * publishes the init message. The returned handle's `summary` settles when the execution ends and
 * the runtime is closed (the last lineage rows stored).
 */
export async function startRun(options: RunPipelineOptions, deps: RunPipelineDeps): Promise<RunHandle> {
  try {
    return await startRunOwning(options, deps)
  } finally {
    // Taken by the runtime when one was built (its close closes it); closed here otherwise.
    await options.preopenedDatabase?.discard()
  }
}

async function startRunOwning(options: RunPipelineOptions, deps: RunPipelineDeps): Promise<RunHandle> {
  const queueUrl = options.queueUrl ?? DEFAULT_QUEUE
  const env = options.env ?? process.env
  const {loadAppSettings} = await import('../config/app-settings.js')
  // Unreadable or invalid settings stop the run here with their own error (exit 2).
  // The settings file is the process's (FACTFLOW_SETTINGS, ./factflow.yaml); `options.env` adds the
  // pipeline's variables on top. Its LLM profiles, network policy and files root apply, with
  // `factflow run`'s defaults (private ranges reachable, the working directory as the root).
  const settings = await loadAppSettings({env: {...process.env, ...options.env} as NodeJS.ProcessEnv, role: 'run'})
  const runSettings: RunSettings = {profiles: settings.llm.profiles, network: networkPolicyOf(settings), filesRoot: settings.files.root}
  if (options.resume !== undefined) return resumeRun(options.resume, options, deps, runSettings)
  const {pipeline, substituted} = await loadPipelineFile(options.pipelinePath, {
    provider: providerOfQueueUrl(queueUrl), env, registry: deps.registry, profiles: [...runSettings.profiles.keys()],
  })
  const missing = unimplementedAdapters(pipeline, deps.registry)
  if (missing.length > 0) {
    throw new UserInputError('ADAPTER_NOT_IMPLEMENTED', `This pipeline uses adapters that are not implemented yet: ${missing.join(', ')}.`, {
      hint: 'Run `factflow adapters list` to see which adapters can run today.',
    })
  }
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new UserInputError('FLAG_INVALID', `--concurrency must be a positive integer, got ${options.concurrency}.`)
  }
  const initPayload = buildInitOverrides(options.sets ?? [], options.initPayload)
  const pipelineName = pipeline.name ?? path.basename(options.pipelinePath).replace(/\.ya?ml$/, '')
  const runtime = await openRunRuntime(options, deps, runSettings, 'background')
  let execution: ManagedExecution
  try {
    execution = await runtime.executions.start({
      pipeline, pipelineName, initPayload, tag: options.tag, concurrencyCap: options.concurrency, timeoutMs: options.timeoutMs,
      metadata: {source_file: path.resolve(options.pipelinePath), ...runOwner()},
      // The snapshot keeps `${NAME}` where the file had it, not the secret it stood for.
      redact: (value) => redactSubstituted(value, substituted),
    })
  } catch (error) {
    await runtime.close()
    throw error
  }
  const recovered = recoverKilledRuns(runtime, options, execution.id).catch((error: unknown) => {
    deps.logger.debug({err: error}, 'executions left running could not be recovered')
    return [] as string[]
  })
  return runHandle(runtime, execution, recovered)
}

/** `--resume ID`: recover, then the server's resume (ExecutionService.resume) inside this runtime. */
async function resumeRun(idOrTag: string, options: RunPipelineOptions, deps: RunPipelineDeps, run: RunSettings): Promise<RunHandle> {
  const runtime = await openRunRuntime(options, deps, run, 'first')
  try {
    const recovered = await recoverKilledRuns(runtime, options, undefined)
    const {createExecutionService} = await import('../services/execution-service.js')
    const view = await createExecutionService(runtime, {env: {...process.env, ...options.env}}).resume(idOrTag)
    const execution = runtime.executions.get(view.id)
    if (!execution) throw new ConflictError('EXECUTION_NOT_RUNNING', `Execution ${view.id} ended as soon as it was resumed.`)
    return runHandle(runtime, execution, Promise.resolve(recovered))
  } catch (error) {
    await runtime.close()
    throw error
  }
}

/** What a run takes from the settings. */
interface RunSettings {
  profiles: LlmProfiles
  network: NetworkPolicy
  filesRoot: string | null
}

async function openRunRuntime(options: RunPipelineOptions, deps: RunPipelineDeps, run: RunSettings, databaseOpening: 'background' | 'first') {
  const {createRuntime} = await import('./runtime.js')
  const databaseUrl = options.databaseUrl ?? DEFAULT_DATABASE
  return createRuntime({
    databaseUrl,
    // Objects as durable as the rows that point at them: the embedded database reaches the disk
    // when it closes (unless FACTFLOW_DB_SYNC=off), so the run's objects do too (one syncfs, not
    // an fsync per object); on PostgreSQL every commit is durable, so every object is synced
    // before its message is acked.
    storageSync: parseDatabaseLocation(databaseUrl).kind === 'pglite' ? (syncOnClose() ? 'on-close' : 'off') : 'each',
    // A batch run's event loop serves no one waiting: small objects skip the thread pool (only
    // without an fsync per object, which would block it).
    storageSmallIo: 'inline', queueUrl: options.queueUrl ?? DEFAULT_QUEUE,
    storageUri: options.storageUri ?? DEFAULT_STORAGE, lineage: options.lineage ?? true,
    llmProfiles: run.profiles, network: run.network, filesRoot: run.filesRoot, databaseOpening, maxConcurrentExecutions: 1, lineageFlushTimeoutMs: options.lineageFlushTimeoutMs,
    ...(options.preopenedDatabase === undefined ? {} : {preopenedDatabase: options.preopenedDatabase}),
  }, deps)
}

/** Who runs an execution of `factflow run`: how a later run tells a killed one from a live one. */
function runOwner(): Record<string, string> {
  return {run_host: os.hostname(), run_owner: formatProcessIdentity(currentProcessIdentity())}
}

/** The process that ran an execution of `factflow run` (see `runOwner`), when it ran on this host. */
function runOwnerOnThisHost(metadata: Record<string, unknown>): ProcessIdentity | undefined {
  if (metadata.run_host !== os.hostname() || typeof metadata.run_owner !== 'string') return undefined
  return parseProcessIdentity(metadata.run_owner)
}

/**
 * Marks `interrupted` the executions that killed runs left `running`. In the embedded database
 * every other `running` execution is such a one (the directory lock admits one process). In a
 * shared PostgreSQL only those started by `factflow run` on this host whose process is gone (pid
 * and start time): a live run or a server elsewhere is left alone.
 */
async function recoverKilledRuns(runtime: Runtime, options: RunPipelineOptions, ownId: string | undefined): Promise<string[]> {
  const {executions} = await runtime.store()
  const location = parseDatabaseLocation(options.databaseUrl ?? DEFAULT_DATABASE)
  const embedded = location.kind === 'pglite'
  // Runs killed before their database opened left only a pending record: it becomes the row
  // they never wrote (status running), marked interrupted below like any other.
  const pending = pendingExecutionRecordsFor(location)
  for (const record of await pending?.left(ownId) ?? []) {
    // A run still alive on this host (one that lost the race for the directory lock and goes on
    // without a database) is not a killed one: its record stays until it ends.
    const owner = runOwnerOnThisHost(record.metadata ?? {})
    if (owner !== undefined && isProcessAlive(owner)) continue
    try {
      if (await executions.getById(record.id) === undefined) {
        // The tag may belong to this run (whose row may not be written yet) or to a later execution:
        // the recovered row keeps its id, not the tag.
        const tag = record.tag === options.tag ? null : record.tag
        await executions.create({...record, tag}).catch((error: unknown) => {
          if (isFactflowError(error) && error.code === 'EXECUTION_TAG_TAKEN') return executions.create({...record, tag: null})
          throw error
        })
      }
      await pending!.remove(record.id)
    } catch (error) {
      // Kept for the next run; the others are still recovered.
      runtime.logger.warn({err: error, execution_id: record.id}, 'an execution a killed run left pending could not be recorded')
    }
  }
  const stale: string[] = []
  for (let offset = 0; ; offset += 100) {
    const page = await executions.list({status: 'running', limit: 100, offset})
    for (const item of page.items) {
      if (item.id === ownId) continue
      const owner = runOwnerOnThisHost(item.metadata)
      if (embedded || (owner !== undefined && !isProcessAlive(owner))) stale.push(item.id)
    }
    if (!page.has_more) break
  }
  return executions.markRunningAsInterrupted(stale)
}

function runHandle(runtime: Runtime, execution: ManagedExecution, recovered: Promise<string[]>): RunHandle {
  const executionId = execution.id
  const pipelineName = execution.pipelineName

  const summary = execution.outcome.then(async ({result, databaseError}) => {
    // A short run can end before the recovery of killed runs has written its rows: with the
    // database open, let it finish rather than close the database under it.
    if (!databaseError) await recovered
    await runtime.close()
    const out: RunSummary = {
      execution_id: executionId,
      pipeline: pipelineName,
      status: result.status,
      duration_ms: result.duration_ms,
      routes: summariseRoutes(result),
      messages: result.messages,
      failures: result.dead_letters.slice(0, 50).map((dl) => ({
        route: dl.route_id, stage: dl.stage, attempts: dl.attempts, error: dl.error.message, ...(dl.error.code ? {code: dl.error.code} : {}),
      })),
      ...(result.error ? {error: result.error} : {}),
      ...(result.error_code ? {error_code: result.error_code} : {}),
      storage: {uri: runtime.storage.uri, prefix: `executions/${executionId}/`},
      database: {
        location: runtime.databaseLocation, lineage_rows: runtime.lineage.stats().written, lineage_dropped: runtime.lineage.stats().dropped,
        ...(databaseError ? {error: databaseError} : {}),
      },
    }
    return out
  })

  return {
    executionId,
    pipelineName,
    routes: execution.routes,
    // The view reads the same stream as SSE clients.
    on: (listener) => execution.events.onEvent((event) => listener({type: event.event, ...event.data} as unknown as ExecutionEvent)),
    cancel: (reason) => void execution.orchestrator.cancel(reason),
    drained: execution.orchestrator.result,
    lineageStats: () => runtime.lineage.stats(),
    summary,
    recovered,
  }
}
