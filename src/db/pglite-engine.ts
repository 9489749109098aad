import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'
import {UnavailableError, UserInputError} from '../errors/index.js'
import {WORKER_RESOURCE_LIMITS} from '../os/worker-heap.js'
import type {QueryResult} from './types.js'

/**
 * The raw PGlite operations, run either in this thread or in a worker thread. Not safe for
 * concurrent use by itself: `PgliteDatabase` serialises calls (PGlite is one connection).
 */
export interface PgliteEngine {
  query(sql: string, params: unknown[]): Promise<QueryResult<Record<string, unknown>>>
  /** Simple-protocol text, possibly several statements; answers with the last one's result. */
  exec(sql: string): Promise<QueryResult<Record<string, unknown>>>
  /** `sql` reads from `'/dev/blob'`; `data` is the blob's content (text or bytes). */
  copy(sql: string, data: string | Uint8Array): Promise<number>
  close(): Promise<void>
}

export interface PgliteEngineOptions {
  /**
   * Directory of the data files (`createDataDirectory` makes a new one first, so that initdb's
   * memory is not this process's); undefined for an in-memory database.
   */
  dataDir: string | undefined
  /**
   * For an in-memory database: a `dumpDataDir('gzip')` tarball to start from instead of an initdb
   * (see `memoryTemplate`).
   */
  loadDataDir?: string
}

/**
 * PostgreSQL's 128 MB default `shared_buffers` lives in PGlite's WASM memory and is touched as the
 * data grows: a few hundred MB of resident memory for an embedded store whose files sit in the OS
 * page cache anyway. Measured peak RSS of a 300-page crawl into the embedded database (plain loop):
 * 128 MB → ~680 MB, 32 MB → ~630 MB, 16 MB → ~540 MB, 8 MB and 4 MB no lower, at the same speed
 * (docs/decisions.md, "Embedded database").
 */
export const PGLITE_SETTINGS = ['-c', 'shared_buffers=16MB']

/**
 * CPU priority (nice) of the embedded database's worker thread on Linux: 19, the lowest, so that
 * on a busy machine the pipeline's own work runs first and lineage is written in the CPU time
 * left over (engine benchmark, 2 cores: lineage-on throughput 0.73 of lineage-off at 19 against
 * 0.65 at 0). The engine slows down when the writer falls behind (`LineageWriter.backlog`), so a
 * starved worker costs speed, not rows. `FACTFLOW_DB_WORKER_NICE=0` turns it off.
 */
export function workerNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FACTFLOW_DB_WORKER_NICE
  if (raw === undefined || raw.trim() === '') return 19
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > 19) {
    throw new UserInputError('SETTINGS_INVALID', `FACTFLOW_DB_WORKER_NICE must be a whole number from 0 to 19, got ${JSON.stringify(raw)}`, {
      hint: 'Unset it for the default (19, lowest priority), or set 0 to give the embedded database normal priority.',
    })
  }
  return value
}

/**
 * Absolute URLs of PGlite and its pgvector extension, for code run from source text (the worker,
 * the creator process) that cannot resolve packages relative to itself.
 */
export function pgliteModuleUrls(): {pgliteUrl: string; vectorUrl: string} {
  const require = createRequire(import.meta.url)
  return {
    pgliteUrl: pathToFileURL(require.resolve('@electric-sql/pglite')).href,
    vectorUrl: pathToFileURL(require.resolve('@electric-sql/pglite-pgvector')).href,
  }
}

interface PgliteResult { rows: Record<string, unknown>[]; rowCount?: number; affectedRows?: number }

function toResult(result: PgliteResult | undefined): QueryResult<Record<string, unknown>> {
  return {rows: result?.rows ?? [], rowCount: result?.rowCount ?? result?.affectedRows ?? 0}
}

/** PGlite in this thread: its WASM work blocks the event loop while a statement runs. */
export async function createInProcessEngine(options: PgliteEngineOptions): Promise<PgliteEngine> {
  // Imported here, not at the top: CLI commands that never open PGlite must not load ~10 MB of WASM.
  const [{PGlite}, {vector}] = await Promise.all([
    import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector'),
  ])
  const base = {dataDir: options.dataDir, extensions: {vector}, startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS]}
  const db = await PGlite.create(options.loadDataDir === undefined ? base : {...base, loadDataDir: new Blob([await readFile(options.loadDataDir)])})
  return {
    query: async (sql, params) => toResult(await db.query<Record<string, unknown>>(sql, params)),
    exec: async (sql) => {
      const results = await db.exec(sql)
      return toResult(results[results.length - 1] as PgliteResult | undefined)
    },
    copy: async (sql, data) => toResult(await db.query(sql, [], {blob: new Blob([data])})).rowCount,
    close: () => db.close(),
  }
}

// The worker's whole program. Kept as source text (run from a data: URL) so the same code works from
// dist/ and from the TypeScript sources under vitest; PGlite is imported by absolute URL from here.
const WORKER_SOURCE = `
import {parentPort, workerData} from 'node:worker_threads'
import {readlinkSync} from 'node:fs'
import {setPriority} from 'node:os'
if (workerData.nice > 0) {
  // Linux only (there a thread's id names it to setpriority); elsewhere the thread keeps its priority.
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, workerData.nice)
  } catch {}
}
const {PGlite} = await import(workerData.pgliteUrl)
const {vector} = await import(workerData.vectorUrl)
let pglite
try {
  const loadDataDir = workerData.loadDataDir ? {loadDataDir: new Blob([(await import('node:fs')).readFileSync(workerData.loadDataDir)])} : {}
  pglite = await PGlite.create({dataDir: workerData.dataDir, extensions: {vector}, startParams: [...PGlite.defaultStartParams, ...workerData.settings], ...loadDataDir})
  parentPort.postMessage({ready: true})
} catch (error) {
  parentPort.postMessage({initError: {message: String(error && error.message || error)}})
}
const result = (r) => ({rows: r ? r.rows : [], rowCount: r ? (r.rowCount ?? r.affectedRows ?? 0) : 0})
const describe = (e) => {
  const out = {message: String(e && e.message || e)}
  for (const k of ['code', 'detail', 'hint', 'severity', 'position', 'where', 'schema', 'table', 'column', 'constraint']) {
    if (e && e[k] !== undefined) out[k] = e[k]
  }
  return out
}
// FACTFLOW_BENCH_SQL_STATS=<file>: wall time and count per statement shape, written at close
// (bench/profile-ingest.js reads it; run with FACTFLOW_DB_WORKER_NICE=0 on a quiet machine).
const stats = workerData.statsFile ? new Map() : undefined
const shape = (sql) => sql.replace(/\\s+/g, ' ').replace(/\\$\\d+|'[^']*'|\\b\\d+\\b/g, '?').slice(0, 90)
parentPort.on('message', async (m) => {
  let reply
  const started = stats ? performance.now() : 0
  try {
    let value
    if (m.op === 'query') value = result(await pglite.query(m.sql, m.params))
    else if (m.op === 'exec') { const rs = await pglite.exec(m.sql); value = result(rs[rs.length - 1]) }
    else if (m.op === 'copy') value = result(await pglite.query(m.sql, [], {blob: new Blob([m.data])})).rowCount
    else if (m.op === 'copyBuffer') {
      // PGlite reads a blob only through arrayBuffer(): hand it the moved buffer itself, not a copy.
      const buffer = m.buffer
      value = result(await pglite.query(m.sql, [], {blob: {arrayBuffer: async () => buffer}})).rowCount
    }
    else if (m.op === 'close') {
      await pglite.close()
      if (stats) (await import('node:fs')).writeFileSync(workerData.statsFile, JSON.stringify([...stats].map(([sql, s]) => ({sql, ...s})).sort((a, b) => b.ms - a.ms), null, 1))
      value = null
    }
    if (stats && m.sql) {
      const key = m.op + ' ' + shape(m.sql)
      const entry = stats.get(key) ?? {ms: 0, n: 0}
      entry.ms += performance.now() - started
      entry.n++
      stats.set(key, entry)
    }
    reply = {id: m.id, value}
  } catch (error) {
    reply = {id: m.id, error: describe(error)}
  }
  // A moved COPY buffer goes back with the answer, whichever it is, for the next body.
  if (m.buffer) parentPort.postMessage({...reply, buffer: m.buffer}, [m.buffer])
  else parentPort.postMessage(reply)
})
`

interface Pending { resolve(value: unknown): void; reject(error: unknown): void }
type WorkerReply = {id: number; value?: unknown; error?: Record<string, unknown>; buffer?: ArrayBuffer}

/**
 * Binary COPY bodies up to this size travel to the worker in a reused buffer: resizable (the bytes
 * reserved here are address space; pages are committed as a body first needs them), moved to the
 * worker and back instead of cloned. Cloning a lineage batch (~1.2 MB per 5,000 rows) allocated
 * fresh memory three times per batch (the clone, PGlite's Blob, its arrayBuffer()): ~900 page
 * faults at ~12 µs each on these VMs, ~2 µs per lineage row split between the engine's thread and
 * the worker. Larger bodies and text COPY take the cloning path.
 */
const POOLED_COPY_MAX_BYTES = 64 * 1024 * 1024
/** Buffers kept for reuse: one per COPY in flight; the writers keep one batch in flight each. */
const POOLED_COPY_BUFFERS = 2

/**
 * PGlite in a worker thread: statements cost the caller's event loop only a message round trip,
 * so a lineage flush does not stall the engine (measured: in-process PGlite cut a CPU-bound
 * producer's throughput by ~60% and pushed event-loop p99 delay to ~280 ms; in a worker, no loss).
 * The worker is unref'd while idle so a forgotten `close()` does not keep the process alive.
 */
export async function createWorkerEngine(options: PgliteEngineOptions): Promise<PgliteEngine> {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
    resourceLimits: WORKER_RESOURCE_LIMITS,
    workerData: {
      dataDir: options.dataDir,
      loadDataDir: options.loadDataDir,
      settings: PGLITE_SETTINGS,
      nice: workerNice(),
      statsFile: process.env.FACTFLOW_BENCH_SQL_STATS || undefined,
      ...pgliteModuleUrls(),
    },
  })
  const pending = new Map<number, Pending>()
  let nextId = 0
  let dead: Error | undefined

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    worker.once('error', onError)
    worker.once('message', (message: {ready?: boolean; initError?: {message: string}}) => {
      worker.off('error', onError)
      if (message.ready) resolve()
      else reject(new Error(message.initError?.message ?? 'PGlite worker failed to start'))
    })
  }).catch(async (error: unknown) => {
    await worker.terminate()
    throw error
  })

  const failAll = (error: Error) => {
    dead = error
    for (const request of pending.values()) request.reject(error)
    pending.clear()
  }
  const copyBuffers: ResizableArrayBuffer[] = []
  worker.on('message', (reply: WorkerReply) => {
    if (reply.buffer !== undefined && copyBuffers.length < POOLED_COPY_BUFFERS) copyBuffers.push(reply.buffer as ResizableArrayBuffer)
    const request = pending.get(reply.id)
    if (request === undefined) return
    pending.delete(reply.id)
    if (pending.size === 0) worker.unref()
    if (reply.error === undefined) request.resolve(reply.value)
    else request.reject(Object.assign(new Error(String(reply.error.message)), {name: 'DatabaseError'}, reply.error))
  })
  worker.on('error', (error) => failAll(new UnavailableError('DATABASE_UNAVAILABLE',
    `The embedded database worker crashed: ${error.message}`, {cause: error, hint: 'Restart factflow; see the log for the cause.'})))
  worker.on('exit', () => failAll(dead ?? new UnavailableError('DATABASE_UNAVAILABLE', 'The embedded database is closed')))
  worker.unref()

  const call = <T>(message: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T> => {
    if (dead !== undefined) return Promise.reject(dead)
    const id = ++nextId
    return new Promise<T>((resolve, reject) => {
      pending.set(id, {resolve: resolve as (value: unknown) => void, reject})
      if (pending.size === 1) worker.ref()
      worker.postMessage({...message, id}, transfer)
    })
  }
  const copyBuffer = (sql: string, data: Uint8Array): Promise<number> => {
    let buffer: ResizableArrayBuffer
    try {
      buffer = copyBuffers.pop() ?? resizableBuffer(POOLED_COPY_MAX_BYTES)
      buffer.resize(data.byteLength)
    } catch {
      // No address space or memory for it (a `ulimit -v`, say): the body is cloned instead.
      return call({op: 'copy', sql, data})
    }
    new Uint8Array(buffer).set(data)
    return call({op: 'copyBuffer', sql, buffer}, [buffer])
  }
  return {
    query: (sql, params) => call({op: 'query', sql, params}),
    exec: (sql) => call({op: 'exec', sql}),
    copy: (sql, data) => typeof data !== 'string' && data.byteLength <= POOLED_COPY_MAX_BYTES
      ? copyBuffer(sql, data)
      : call({op: 'copy', sql, data}),
    close: async () => {
      if (dead === undefined) await call({op: 'close'})
      await worker.terminate()
    },
  }
}

/** A resizable ArrayBuffer (ES2024; in Node since 20, not yet in this project's ES2023 typings). */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void
}

function resizableBuffer(maxByteLength: number): ResizableArrayBuffer {
  const Ctor = ArrayBuffer as unknown as new (length: number, options: {maxByteLength: number}) => ResizableArrayBuffer
  return new Ctor(0, {maxByteLength})
}
