import path from 'node:path'

import type {AdapterRegistry} from '../adapters/registry.js'
import type {EnvMap} from '../config/env-substitution.js'
import {createFetchers, type Fetchers} from '../adapters/web/fetchers.js'
import type {CpuPool} from '../cpu/cpu-task.js'
import {cpuWorkerCount, createWorkerCpuPool} from '../cpu/worker-cpu-pool.js'
import type {Database} from '../db/types.js'
import {createEmbedders, type Embedders} from '../embeddings/embedders.js'
import {describeError, UnavailableError} from '../errors/index.js'
import type {ExecutionRepository} from '../executions/execution-repository.js'
import type {EventArchive} from '../executions/logged-event.js'
import type {LineageWriter} from '../lineage/types.js'
import {createLlmClients, type LlmClients} from '../llm/create-chat-client.js'
import type {LlmProfiles} from '../llm/settings.js'
import type {Logger} from '../logging/logger.js'
import type {NetworkPolicy} from '../network/address-policy.js'
import type {QueueProvider} from '../queue/types.js'
import type {FileSync} from '../storage/file-object-store.js'
import type {ObjectStore} from '../storage/types.js'
import {DeferredLineageWriter} from './deferred-lineage-writer.js'
import type {PreopenedDatabase} from './preopen-database.js'
import {ExecutionManager} from './execution-manager.js'
import {withTimeout} from './with-timeout.js'

/** What a runtime is built from: `factflow run` maps its flags here, `factflow serve` its settings. */
export interface RuntimeSettings {
  /** `postgres://…`, or a directory for the embedded PGlite (default `./output/db`). */
  databaseUrl: string
  /** `memory://` (default), `amqp://…`, `stomp://…`, `pulsar://…`. */
  queueUrl: string
  /** `file://…` (default `file://./output/storage`) or `s3://bucket/prefix`. */
  storageUri: string
  /** `limits.max_concurrent_executions` (default 8; 429 over it). */
  maxConcurrentExecutions?: number
  /** Write lineage rows (default true). */
  lineage?: boolean
  /** LLM profiles; default: read from `FACTFLOW_SETTINGS` / `./factflow.yaml` on first use. */
  llmProfiles?: LlmProfiles
  /**
   * `background` (`factflow run`): executions start while the database opens (PGlite takes
   * seconds), lineage rows wait for it, and a database that cannot open fails only the adapters
   * that need it. `first` (the server): the database is open and migrated before the runtime is
   * returned, and executions are recorded before they start.
   */
  databaseOpening?: 'background' | 'first'
  /** An opening of `databaseUrl` started before the runtime (`factflow run`, `preopenDatabase`): taken instead of opening it again. */
  preopenedDatabase?: PreopenedDatabase
  /** How long the end of an execution may wait for its last lineage rows (default 60 s). */
  lineageFlushTimeoutMs?: number
  /** What web adapters may connect to (default `RUN_NETWORK_POLICY`: loopback and private ranges, not link-local). */
  network?: NetworkPolicy
  /**
   * The folder file adapters may read, absolute (default: the working directory, as `factflow run`);
   * null: none (`factflow serve` without `files.root`).
   */
  filesRoot?: string | null
  /**
   * The environment variables `${NAME}` in the pipelines this runtime is given may read
   * (`pipelines.env` of the server, default none there); undefined: all of them (`factflow run`,
   * whose pipelines are the user's own files).
   */
  pipelineEnv?: readonly string[]
  /**
   * When a `file://` store's objects reach the disk (default `each`: before each is renamed into
   * place). `on-close` (`factflow run` on the embedded database): when the runtime closes, before
   * the database's own sync (the embedded database reaches the disk only then too).
   */
  storageSync?: FileSync
  /** `inline` (`factflow run`): a `file://` store's small objects are read and written without thread-pool hops (see `FileObjectStoreOptions.smallIo`). */
  storageSmallIo?: 'inline' | 'pool'
  /** Worker threads for CPU-heavy stages (default `FACTFLOW_CPU_WORKERS`, see `cpuWorkerCount`; 0: none). */
  cpuWorkers?: number
}

/** What `${NAME}` placeholders of the runtime's pipelines are substituted from, and which names they may use. */
export interface PipelineEnvironment {
  env: EnvMap
  /** Undefined: every name. */
  allowed?: ReadonlySet<string>
}

/** The runtime's `PipelineEnvironment`: `pipelineEnv`'s names of the process environment, or all of it. */
export function pipelineEnvironment(settings: RuntimeSettings, env: EnvMap = process.env): PipelineEnvironment {
  if (settings.pipelineEnv === undefined) return {env}
  const allowed = new Set(settings.pipelineEnv)
  return {env: Object.fromEntries([...allowed].filter((name) => env[name] !== undefined).map((name) => [name, env[name]])), allowed}
}

export interface RuntimeDeps {
  logger: Logger
  registry: AdapterRegistry
}

/** The opened database and the repositories over it. */
export interface RuntimeStore {
  db: Database
  executions: ExecutionRepository
  events: EventArchive
  writer: LineageWriter
}

/**
 * The composition root (STYLE.md): one per process, owning the database, the broker, the object
 * store, the lineage writer, the LLM clients and the execution manager. `factflow run` is a runtime
 * with one execution; the server a runtime with many. Nothing here reads flags or HTTP.
 */
export interface Runtime {
  readonly settings: Readonly<RuntimeSettings>
  readonly logger: Logger
  readonly registry: AdapterRegistry
  readonly queue: QueueProvider
  readonly storage: ObjectStore
  readonly llm: LlmClients
  /** Embedders by profile, over `llm` (one limiter per profile for chat and embeddings). */
  readonly embedders: Embedders
  /** Per-host rate limits and the headless browser of every web adapter. */
  readonly fetchers: Fetchers
  /** Where CPU-heavy stages run: worker threads started on first use, shared by every execution. */
  readonly cpu: CpuPool
  /** Lineage rows of every execution; holds rows while the database opens. */
  readonly lineage: DeferredLineageWriter
  readonly executions: ExecutionManager
  /** The database, as displayed (no password). */
  readonly databaseLocation: string
  /** Resolves once the database is open and migrated; rejects with `DATABASE_UNAVAILABLE`. */
  store(): Promise<RuntimeStore>
  /**
   * True once, for the first execution, when this runtime creates its embedded database (a new
   * directory or `memory://`): nothing was stored before that execution started.
   */
  takeNewDatabase(): boolean
  /** Stops every execution (running ones become `interrupted`), then closes everything. Idempotent. */
  close(): Promise<void>
}

/**
 * Builds a runtime. Fails fast (before any work) when the embedded database directory is owned
 * by another process or cannot hold a database, or the broker cannot be reached.
 */
export async function createRuntime(settings: RuntimeSettings, deps: RuntimeDeps): Promise<Runtime> {
  const log = deps.logger
  const [{parseDatabaseLocation}, {createObjectStore}, {createQueueProvider}] = await Promise.all([
    import('../db/open-database.js'), import('../storage/create-object-store.js'), import('../queue/create-queue-provider.js'),
  ])
  const location = parseDatabaseLocation(settings.databaseUrl)
  // An embedded database this runtime creates holds no earlier work: the first execution is told
  // so, and its stores of earlier work answer at once instead of waiting for the database to open.
  let newDatabase = location.kind === 'pglite' && location.dataDir === undefined
  if (location.kind === 'pglite' && location.dataDir !== undefined) {
    const [{assertDirectoryFree}, {assertUsableDataDirectory, isNewDataDirectory}, {workerNice}] = await Promise.all([
      import('../db/directory-lock.js'), import('../db/pglite-create.js'), import('../db/pglite-engine.js'),
    ])
    workerNice()
    await assertDirectoryFree(path.resolve(location.dataDir))
    await assertUsableDataDirectory(path.resolve(location.dataDir))
    newDatabase = isNewDataDirectory(path.resolve(location.dataDir))
  }
  // Read (and checked) before any work; piscina and its threads start with the first task.
  const cpu = createWorkerCpuPool({threads: settings.cpuWorkers ?? cpuWorkerCount(), logger: log})
  const storage = await createObjectStore(settings.storageUri, {sync: settings.storageSync, smallIo: settings.storageSmallIo, logger: log})
  const queue = await createQueueProvider(settings.queueUrl, {logger: log})
  await queue.connect()

  const lineage = new DeferredLineageWriter(500_000, log)
  const {openStore} = await import('./open-store.js')
  const opening = (settings.preopenedDatabase?.url === settings.databaseUrl ? settings.preopenedDatabase.take() : openStore(settings.databaseUrl, log)).then(async (db): Promise<RuntimeStore> => {
    const [{createLineageWriter}, {createExecutionRepository}, {createExecutionEventRepository}] = await Promise.all([
      import('../lineage/batched-lineage-writer.js'), import('../executions/execution-repository.js'), import('../executions/execution-event-repository.js'),
    ])
    const writer = createLineageWriter(db, {logger: log})
    lineage.attach(writer)
    return {db, executions: createExecutionRepository(db), events: createExecutionEventRepository(db), writer}
  })
  opening.catch((error: unknown) => {
    lineage.fail()
    log.warn({err: error}, 'the database is unavailable: executions go on without lineage')
  })
  // Opened once: when that failed, retrying cannot help, so whatever needs it fails for good at once.
  const store = () => opening.catch((error: unknown) => {
    throw new UnavailableError('DATABASE_UNAVAILABLE', `The database could not be opened: ${describeError(error)}`, {
      retryable: false, cause: error,
      hint: 'Messages that need it are dead-lettered; the rest of the run goes on. Fix the database (--database, FACTFLOW_DATABASE_URL) and run again.',
    })
  })
  if (settings.databaseOpening === 'first') {
    try {
      await store()
    } catch (error) {
      await queue.close().catch(() => undefined)
      await storage.close?.()
      throw error
    }
  }

  const llm = createLlmClients(settings.llmProfiles)
  const fetchers = createFetchers({network: settings.network})
  let closing: Promise<void> | undefined
  const runtime: Runtime = {
    settings, logger: log, registry: deps.registry, queue, storage, lineage, store, cpu,
    takeNewDatabase: () => {
      const answer = newDatabase
      newDatabase = false
      return answer
    },
    llm, embedders: createEmbedders(llm, {logger: log, cpu}), fetchers,
    databaseLocation: displayLocation(settings.databaseUrl),
    executions: undefined as never,
    close: () => closing ??= (async () => {
      await runtime.executions.shutdown()
      await queue.close().catch((error: unknown) => log.warn({err: error}, 'queue close failed'))
      // Objects first (`on-close` syncs them here), then the database's own sync: at the end of a
      // run no row reaches the disk after what it points at. A store that cannot close still
      // lets the database close.
      await storage.close?.().catch((error: unknown) => log.warn({err: error}, 'storage close failed'))
      try {
        const {db, writer} = await withTimeout(opening, settings.lineageFlushTimeoutMs ?? 60_000, 'database did not open in time')
        await writer.close(settings.lineageFlushTimeoutMs ?? 60_000)
        await db.close()
      } catch {
        // Already reported where it failed (the run summary, the health check).
      }
      await fetchers.close()
      await cpu.close()
    })(),
  }
  ;(runtime as {executions: ExecutionManager}).executions = new ExecutionManager(runtime)
  return runtime
}

/** A database URL without its password. */
export function displayLocation(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.protocol.startsWith('postgres')) return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    // a path
  }
  return url
}
