import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {AdapterRegistry} from '../adapters/registry.js'
import type {Database} from '../db/types.js'
import type {ExecutionEventListener} from '../engine/events.js'
import {type ExecutionResult, PipelineOrchestrator, unimplementedAdapters} from '../engine/pipeline-orchestrator.js'
import {describeError, NotFoundError, UnavailableError, UserInputError} from '../errors/index.js'
import type {LineageWriter} from '../lineage/types.js'
import type {Logger} from '../logging/logger.js'
import type {QueueProvider} from '../queue/types.js'
import type {ObjectStore} from '../storage/types.js'
import {DeferredLineageWriter, noopLineageWriter} from './deferred-lineage-writer.js'
import {buildInitOverrides} from './init-overrides.js'
import {PipelineInvalidError} from './pipeline-invalid-error.js'

/** Inputs of one inline run (`factflow run`); the command maps its flags onto this. */
export interface RunPipelineOptions {
  pipelinePath: string
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
  /** Default `memory://` (in-process broker). */
  queueUrl?: string
  /** Write lineage rows (default true). */
  lineage?: boolean
  env?: Record<string, string | undefined>
  /** How long the end of a run may wait for the database to take the last lineage rows. */
  lineageFlushTimeoutMs?: number
}

export interface RunPipelineDeps {
  logger: Logger
  registry: AdapterRegistry
}

export interface RouteSummary {
  received: number
  completed: number
  failed: number
  dead_lettered: number
  unchanged: number
  embedded: number
  /** Fan-out elements emitted, done and failed (`RouteCounters`); added fields, older readers ignore them. */
  elements: number
  elements_done: number
  elements_failed: number
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
  return {pipeline: loaded.pipeline, report: loaded.report}
}

/**
 * The profile names of the settings the run's LLM adapters will read (`FACTFLOW_SETTINGS` or
 * `./factflow.yaml`), so validation knows them (E304 otherwise). Unreadable or invalid settings
 * stop the run here with their own error (SETTINGS_NOT_FOUND / SETTINGS_INVALID, exit 2).
 */
async function settingsProfileNames(env: Record<string, string | undefined> | undefined): Promise<string[]> {
  const {loadLlmProfiles} = await import('../llm/load-settings.js')
  return [...(await loadLlmProfiles({env: (env ?? process.env) as NodeJS.ProcessEnv})).keys()]
}

function providerKindOf(queueUrl: string): string {
  const scheme = queueUrl.split(':')[0]
  if (scheme === 'amqp' || scheme === 'amqps') return 'rabbitmq'
  if (scheme === 'stomp' || scheme === 'stomp+ssl') return 'artemis'
  if (scheme?.startsWith('pulsar')) return 'pulsar'
  return 'memory'
}

/**
 * Starts one inline run: validate, open storage and the broker, start the engine at once (the
 * database opens in the background; lineage rows wait for it), publish the init message. The
 * returned handle's `summary` settles when the execution ends and the last lineage rows are stored.
 */
export async function startRun(options: RunPipelineOptions, deps: RunPipelineDeps): Promise<RunHandle> {
  const queueUrl = options.queueUrl ?? DEFAULT_QUEUE
  const profiles = await settingsProfileNames(options.env)
  const {pipeline} = await loadPipelineFile(options.pipelinePath, {provider: providerKindOf(queueUrl), env: options.env, registry: deps.registry, profiles})
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
  const databaseUrl = options.databaseUrl ?? DEFAULT_DATABASE
  const {parseDatabaseLocation} = await import('../db/open-database.js')
  const location = parseDatabaseLocation(databaseUrl)
  if (location.kind === 'pglite' && location.dataDir !== undefined) {
    // Fail before any work when another process owns the embedded database (it would lose lineage)
    // or the directory can never hold one (a file, a folder of other files).
    const [{assertDirectoryFree}, {assertUsableDataDirectory}, {workerNice}] = await Promise.all([
      import('../db/directory-lock.js'), import('../db/pglite-create.js'), import('../db/pglite-engine.js'),
    ])
    workerNice()
    await assertDirectoryFree(path.resolve(location.dataDir))
    await assertUsableDataDirectory(path.resolve(location.dataDir))
  }
  const pipelineName = pipeline.name ?? path.basename(options.pipelinePath).replace(/\.ya?ml$/, '')
  const log = deps.logger

  const {createObjectStore} = await import('../storage/create-object-store.js')
  const {createQueueProvider} = await import('../queue/create-queue-provider.js')
  const storage: ObjectStore = await createObjectStore(options.storageUri ?? DEFAULT_STORAGE)
  const queue: QueueProvider = await createQueueProvider(queueUrl, {logger: log})
  await queue.connect()

  const lineageOn = options.lineage ?? true
  const deferred = new DeferredLineageWriter(500_000, log)
  const orchestrator = new PipelineOrchestrator({
    pipeline, initPayload, concurrencyCap: options.concurrency, lineage: lineageOn,
    initMetadata: options.tag ? {tag: options.tag} : undefined,
  }, {
    queue, storage, lineage: lineageOn ? deferred : noopLineageWriter, registry: deps.registry, logger: log,
    // Opened once per run: when that failed, retrying an adapter cannot help (and would hold its
    // messages behind an open circuit), so adapters that need the database fail for good at once.
    database: () => dbReady.then((ready) => ready.db, (error: unknown) => {
      throw new UnavailableError('DATABASE_UNAVAILABLE', `The database of this run could not be opened: ${describeError(error)}`, {
        retryable: false, cause: error,
        hint: 'Messages that need it are dead-lettered; the rest of the run goes on. Fix the database (--database, FACTFLOW_DATABASE_URL) and run again.',
      })
    }),
  })
  const executionId = orchestrator.executionId

  // The database opens while the engine already runs (PGlite start-up takes seconds).
  const dbReady = openStore(databaseUrl, log).then(async (db) => {
    const {createLineageWriter} = await import('../lineage/batched-lineage-writer.js')
    const {createExecutionRepository} = await import('../executions/execution-repository.js')
    const executions = createExecutionRepository(db)
    await executions.create({
      id: executionId, config_name: pipelineName, config_snapshot: {...pipeline}, tag: options.tag ?? null,
      metadata: {source_file: path.resolve(options.pipelinePath), init_payload: initPayload},
    })
    const writer: LineageWriter = createLineageWriter(db, {logger: log})
    deferred.attach(writer)
    return {db, executions, writer}
  })
  dbReady.catch((error: unknown) => {
    deferred.fail()
    log.warn({err: error}, 'the database is unavailable: the run goes on without lineage')
  })

  let timeout: NodeJS.Timeout | undefined
  try {
    await orchestrator.start()
  } catch (error) {
    await queue.close().catch(() => undefined)
    await closeDb(dbReady, options.lineageFlushTimeoutMs)
    throw error
  }
  if (options.timeoutMs !== undefined) {
    timeout = setTimeout(() => void orchestrator.cancel(`timeout after ${options.timeoutMs} ms`), options.timeoutMs)
    timeout.unref()
  }

  const summary = orchestrator.result.then(async (result) => {
    if (timeout) clearTimeout(timeout)
    await queue.close().catch((error: unknown) => log.warn({err: error}, 'queue close failed'))
    let databaseError: string | undefined
    let lineageRows = 0
    try {
      const {db, executions, writer} = await withTimeout(dbReady, options.lineageFlushTimeoutMs ?? 60_000, 'database did not open in time')
      await writer.close(options.lineageFlushTimeoutMs ?? 60_000)
      lineageRows = writer.stats().written
      for (const dl of result.dead_letters) {
        await executions.recordDeadLetter({
          execution_id: executionId, route_id: dl.route_id, stage: dl.stage, message: {...dl.envelope},
          error_info: {...dl.error}, attempts: dl.attempts,
        })
      }
      await executions.updateStatus(executionId, {
        status: result.status, summary: {routes: summarise(result), messages: result.messages},
        error_info: result.error ? {message: result.error} : null,
      })
      await db.close()
    } catch (error) {
      databaseError = describeError(error)
    }
    await storage.close?.()
    const out: RunSummary = {
      execution_id: executionId,
      pipeline: pipelineName,
      status: result.status,
      duration_ms: result.duration_ms,
      routes: summarise(result),
      messages: result.messages,
      failures: result.dead_letters.slice(0, 50).map((dl) => ({
        route: dl.route_id, stage: dl.stage, attempts: dl.attempts, error: dl.error.message, ...(dl.error.code ? {code: dl.error.code} : {}),
      })),
      ...(result.error ? {error: result.error} : {}),
      storage: {uri: storage.uri, prefix: `executions/${executionId}/`},
      database: {
        location: databaseLocation(databaseUrl), lineage_rows: lineageRows, lineage_dropped: deferred.stats().dropped,
        ...(databaseError ? {error: databaseError} : {}),
      },
    }
    return out
  })

  return {
    executionId,
    pipelineName,
    routes: Object.keys(pipeline.routes),
    on: (listener) => orchestrator.on(listener),
    cancel: (reason) => void orchestrator.cancel(reason),
    drained: orchestrator.result,
    lineageStats: () => deferred.stats(),
    summary,
  }
}

async function openStore(url: string, log: Logger): Promise<Database> {
  const {openDatabase} = await import('../db/open-database.js')
  const {migrate} = await import('../db/migrate.js')
  const db = await openDatabase(url, {logger: log})
  await migrate(db)
  return db
}

async function closeDb(ready: Promise<{db: Database}>, timeoutMs = 10_000): Promise<void> {
  try {
    const {db} = await withTimeout(ready, timeoutMs, 'database did not open in time')
    await db.close()
  } catch {
    // Start-up already failed; the database error is secondary.
  }
}

function summarise(result: ExecutionResult): Record<string, RouteSummary> {
  const routes: Record<string, RouteSummary> = {}
  for (const [id, c] of Object.entries(result.routes)) {
    routes[id] = {
      received: c.received, completed: c.completed, failed: c.failed, dead_lettered: c.dead_lettered, unchanged: c.unchanged, embedded: c.embedded,
      elements: c.elements, elements_done: c.elements_done, elements_failed: c.elements_failed,
    }
  }
  return routes
}

function databaseLocation(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.protocol.startsWith('postgres')) return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    // a path
  }
  return url
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms)
    timer.unref()
    promise.then((v) => { clearTimeout(timer); resolve(v) }, (e: unknown) => { clearTimeout(timer); reject(e) })
  })
}
