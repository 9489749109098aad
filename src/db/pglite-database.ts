import {existsSync} from 'node:fs'
import {mkdir, rm} from 'node:fs/promises'
import path from 'node:path'
import {FactflowError} from '../errors/index.js'
import {copyStatement} from './copy-statement.js'
import {syncTree} from '../os/sync-file-system.js'
import {syncOnClose} from './sync-directory.js'
import {acquireDirectoryLock, type DirectoryLock} from './directory-lock.js'
import type {PgliteEngine} from './pglite-engine.js'
import {createDataDirectory, isNewDataDirectory, saveMemoryTemplate} from './pglite-create.js'
import {createInProcessEngine, createWorkerEngine} from './pglite-engine.js'
import type {Migration} from './migrate.js'
import {memoryTemplatePlan, pruneTemplates, templatePlan} from './pglite-template.js'
import type {CopyTarget, Database, DatabaseTransaction, QueryResult} from './types.js'

export interface PgliteDatabaseOptions {
  /** Data directory (created if missing), or undefined for an in-memory database. */
  dataDir?: string
  /**
   * Run PGlite in a worker thread (default true) so its CPU-bound WASM does not stall the caller's
   * event loop. `false` runs it in this thread (slightly less overhead for tiny tools and tests).
   */
  worker?: boolean
  /**
   * Where templates of a freshly initialised database are kept (see `templatePlan`); undefined
   * turns them off. `openDatabase` passes `defaultCacheDir()`.
   */
  templateCacheDir?: string
  /**
   * The migrations a new directory is created with (in the creator process, or inside the cached
   * template), so that `migrate` finds them applied. Called only when a directory is created.
   */
  schema?: () => Promise<Migration[]>
}

/**
 * The embedded PostgreSQL (PGlite with pgvector). One backend, one connection: statements are
 * serialised here, and a transaction holds the connection until it ends (a plain `query` issued
 * from inside a transaction callback waits for the transaction: use the `tx` argument).
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const
  readonly location: string
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false

  private constructor(
    private readonly engine: PgliteEngine, location: string, private readonly lock: DirectoryLock | undefined,
    private readonly dataDir: string | undefined,
    private readonly openedAtMs: number,
  ) {
    this.location = location
  }

  /**
   * Starts PGlite (≈ 1 s; a new directory is first created: ≈ 0.3 s copying the cached template,
   * 4–8 s of initdb in a child process without one).
   */
  static async open(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir)
    const location = options.dataDir ?? 'memory://'
    let lock: DirectoryLock | undefined
    // A second early: file times may be coarser than the clock.
    const openedAtMs = Date.now() - 1000
    try {
      if (dataDir !== undefined) {
        await mkdir(path.dirname(dataDir), {recursive: true})
        lock = await acquireDirectoryLock(dataDir)
      }
      const start = () => options.worker === false ? createInProcessEngine({dataDir}) : createWorkerEngine({dataDir})
      let engine: PgliteEngine
      if (dataDir !== undefined && isNewDataDirectory(dataDir)) {
        const plan = await templatePlan(dataDir, options.templateCacheDir, await options.schema?.())
        const {fromTemplate} = await createDataDirectory(dataDir, plan)
        await pruneTemplates(plan)
        try {
          engine = await start()
        } catch (error) {
          if (!fromTemplate) throw error
          // A template PGlite cannot start (damaged in the cache): drop it and this copy, then
          // create the directory afresh (saving a new template).
          await rm(plan.load!, {recursive: true, force: true}).catch(() => undefined)
          await rm(dataDir, {recursive: true, force: true})
          await createDataDirectory(dataDir, {...plan, load: undefined, save: plan.load})
          engine = await start()
        }
      } else if (dataDir === undefined && options.templateCacheDir !== undefined && options.schema !== undefined) {
        engine = await startInMemory(options.templateCacheDir, await options.schema(), options.worker !== false)
      } else {
        engine = await start()
      }
      return new PgliteDatabase(engine, location, lock, dataDir, openedAtMs)
    } catch (error) {
      await lock?.release()
      if (error instanceof FactflowError) throw error
      throw new FactflowError('DATABASE_OPEN_FAILED', `Cannot open the embedded database at ${location}: ${describe(error)}`, {
        hint: 'Check that the directory is writable, not used by another factflow process, and was created by a ' +
          'compatible PGlite version (move it aside to start afresh).',
        cause: error,
      })
    }
  }

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.exclusive(() => this.run<R>(sql, params))
  }

  copyFrom(target: CopyTarget, data: string | Uint8Array): Promise<number> {
    return this.exclusive(() => this.copy(target, data))
  }

  transaction<T>(fn: (tx: DatabaseTransaction) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const tx: DatabaseTransaction = {
        query: (sql, params) => this.run(sql, params),
        copyFrom: (target, data) => this.copy(target, data),
      }
      await this.engine.exec('BEGIN')
      try {
        const result = await fn(tx)
        await this.engine.exec('COMMIT')
        return result
      } catch (error) {
        await this.engine.exec('ROLLBACK').catch(() => undefined)
        throw error
      }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.exclusive(() => this.engine.close())
      // Closed cleanly (a checkpoint written): now make it reach the disk, which PGlite never asks
      // for (its WebAssembly file layer drops PostgreSQL's fsync calls, with fsync=on as with off:
      // measured with strace, docs/decisions.md). Files unchanged since the open were synced when
      // it last closed.
      if (this.dataDir !== undefined && syncOnClose()) await syncTree(this.dataDir, {modifiedSinceMs: this.openedAtMs})
    } finally {
      await this.lock?.release()
    }
  }

  private copy(target: CopyTarget, data: string | Uint8Array): Promise<number> {
    return this.engine.copy(copyStatement(target, "'/dev/blob'", typeof data === 'string' ? 'text' : 'binary'), data)
  }

  private async run<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const result = params === undefined || params.length === 0
      ? await this.engine.exec(sql)
      : await this.engine.query(sql, params)
    return result as QueryResult<R>
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * An in-memory database from the cached template's tarball (made on first use), so that it skips
 * the initdb and the migrations (seconds each); without one, or when PGlite cannot load it (then
 * it is removed for the next run to make again), an initdb as before.
 */
async function startInMemory(cacheDir: string, migrations: Migration[], worker: boolean): Promise<PgliteEngine> {
  const start = (loadDataDir?: string) => worker ? createWorkerEngine({dataDir: undefined, loadDataDir}) : createInProcessEngine({dataDir: undefined, loadDataDir})
  const memory = await memoryTemplatePlan(cacheDir, migrations)
  if (memory === undefined) return start()
  if (!existsSync(memory.tarball)) {
    await saveMemoryTemplate(memory.plan, memory.tarball)
    await pruneTemplates(memory.plan)
  }
  if (!existsSync(memory.tarball)) return start()
  try {
    return await start(memory.tarball)
  } catch {
    await rm(memory.tarball, {force: true}).catch(() => undefined)
    return start()
  }
}
