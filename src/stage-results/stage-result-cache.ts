import type {z} from 'zod'

import type {Database} from '../db/types.js'
import {isUuid} from '../db/uuid.js'
import {MicroBatcher} from '../embeddings/micro-batcher.js'
import {isFactflowError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {ObjectStore} from '../storage/types.js'
import {type StageResultKey, stageResultKey, type StageResultRow, StageResultStore, type StoredStageResult} from './stage-result-store.js'

/**
 * Results whose JSON is larger go to storage and the row keeps only their key, so the table stays
 * small to scan and back up; the same 64 KiB bound decides inline bodies in messages.
 */
export const INLINE_RESULT_BYTES = 64 * 1024

/** Lookups or writes per statement: one round trip serves every message waiting at the time. */
const BATCH_SIZE = 64
/**
 * Writes queued behind the caller before `put` waits for its own: a message does not wait for a
 * database round trip to store a result it has already handed on, yet memory stays bounded when the
 * database is slower than the stage (or still opening).
 */
const WRITES_AHEAD = 512

export interface StageResultCacheOptions<T> {
  /** The adapter type: the first part of every key, so types never share results. */
  adapterType: string
  /** Checks a stored result before it is reused; one that does not pass is a miss (and is overwritten). */
  schema: z.ZodType<T>
  /** The run's database (`AdapterResources.database`); when it rejects, nothing is reused or stored. */
  database(): Promise<Database>
  /** Where results over `INLINE_RESULT_BYTES` are kept. */
  storage: ObjectStore
  logger: Logger
  /**
   * Nothing was stored before this run (`AdapterResources.newDatabase`): a key this cache has not
   * put is a miss at once, without waiting for the database (which may still be opening).
   */
  emptyAtStart?: boolean
}

/** Where a stored result came from, for the row's provenance. */
export interface StageResultOrigin {
  executionId: string
}

/**
 * Stored results of one stage (docs/reference/engine.md, "Incremental re-runs"), keyed by the stage's effective
 * config and its input (`StageResultKey`). Best effort by contract: a missing database, a failed
 * query, a missing storage object or a result that no longer parses make `get` answer `undefined`
 * (compute again) and `put` give up, each logged, never thrown: the cache may cost a recomputation,
 * never a failed message. Callers `put` only results that are complete and checked, so a failed
 * attempt leaves nothing behind.
 */
export interface StageResultCache<T> {
  /** The stored result for `key`, or `undefined`. */
  get(key: StageResultKey): Promise<T | undefined>
  /** Stores (or replaces) the result for `key`; resolves once it is stored or given up. */
  put(key: StageResultKey, result: T, origin: StageResultOrigin): Promise<void>
  /**
   * Like `put`, but resolves once the write is queued, without waiting for the database (which may
   * still be opening), unless `WRITES_AHEAD` writes are already waiting: for a stage that has handed
   * its result on and must not wait a round trip to keep it. `close` waits for every write.
   */
  putBehind(key: StageResultKey, result: T, origin: StageResultOrigin): Promise<void>
  /** Waits for the writes submitted so far. */
  close(): Promise<void>
}

export function createStageResultCache<T>(options: StageResultCacheOptions<T>): StageResultCache<T> {
  const {adapterType, storage} = options
  const log = options.logger.child({stage_results: adapterType})
  let warned = false
  const warn = (error: unknown, message: string) => {
    // One warning per stage and run: an outage would otherwise log once per message.
    if (warned) log.debug({err: error}, message)
    else log.warn({err: error}, message)
    warned = true
  }

  let store: Promise<StageResultStore | undefined> | undefined
  let noDatabase = false
  const openStore = () => {
    store ??= options.database().then((db) => new StageResultStore(db, adapterType), (error: unknown) => {
      log.debug({err: error}, 'no database: stage results are neither reused nor stored in this run')
      noDatabase = true
      return undefined
    })
    return store
  }

  const lookups = new MicroBatcher<StageResultKey, StoredStageResult | undefined>({
    maxSize: BATCH_SIZE,
    run: async (keys) => {
      const opened = await openStore()
      if (opened === undefined) return keys.map(() => undefined)
      const found = await opened.lookup(keys)
      return keys.map((key) => found.get(stageResultKey(key)))
    },
  })
  const writes = new MicroBatcher<StageResultRow, void>({
    maxSize: BATCH_SIZE,
    run: async (rows) => {
      await (await openStore())?.upsert(rows)
      return rows.map(() => undefined)
    },
  })

  // With `emptyAtStart`, the keys put in this run: only those can be found.
  const putKeys = options.emptyAtStart === true ? new Set<string>() : undefined
  let writesWaiting = 0

  async function readJson(stored: StoredStageResult): Promise<string | undefined> {
    if (stored.output !== null) return stored.output
    try {
      return (await storage.get(stored.outputKey as string)).body.toString('utf8')
    } catch (error) {
      // Another storage than the run that stored it, or a deleted object: compute again.
      if (isFactflowError(error) && error.code === 'STORAGE_NOT_FOUND') log.debug({key: stored.outputKey}, 'stored stage result is gone from storage')
      else warn(error, 'could not read a stored stage result; computing it again')
      return undefined
    }
  }

  /**
   * Queues the row of `result` (writing a large one to storage first); resolves to a promise of
   * its write, which never rejects (failures are logged). With `waitForDatabase` false, the
   * database may still be opening: the write queue waits for it, the caller does not. The promise
   * is wrapped: an async function returning a promise adopts it, and the caller would wait for the
   * write after all (as `putBehind` did until 2026-12-07).
   */
  async function queueWrite(key: StageResultKey, result: T, origin: StageResultOrigin, waitForDatabase: boolean): Promise<{written: Promise<void>}> {
    const failed = (error: unknown) => warn(error, 'could not store a stage result; the next run computes it again')
    try {
      if (waitForDatabase) {
        if (await openStore() === undefined) return {written: Promise.resolve()}
      } else {
        void openStore()
        if (noDatabase) return {written: Promise.resolve()}
      }
      const json = JSON.stringify(result)
      const outputBytes = Buffer.byteLength(json)
      const executionId = isUuid(origin.executionId) ? origin.executionId : null
      let row: StageResultRow
      if (outputBytes <= INLINE_RESULT_BYTES) {
        row = {...key, output: json, outputKey: null, outputBytes, executionId}
      } else {
        const outputKey = resultStorageKey(adapterType, key)
        await storage.put(outputKey, json, {content_type: 'application/json', stage: adapterType, ...(executionId ? {execution_id: executionId} : {})})
        row = {...key, output: null, outputKey, outputBytes, executionId}
      }
      putKeys?.add(stageResultKey(key))
      writesWaiting++
      return {written: writes.submit(row).then(() => undefined, failed).finally(() => writesWaiting--)}
    } catch (error) {
      failed(error)
      return {written: Promise.resolve()}
    }
  }

  return {
    async get(key) {
      if (putKeys !== undefined && !putKeys.has(stageResultKey(key))) return undefined
      let stored: StoredStageResult | undefined
      try {
        stored = await lookups.submit(key)
      } catch (error) {
        warn(error, 'could not look up stored stage results; computing them again')
        return undefined
      }
      if (stored === undefined) return undefined
      const json = await readJson(stored)
      if (json === undefined) return undefined
      let value: unknown
      try {
        value = JSON.parse(json)
      } catch {
        log.debug({key}, 'stored stage result is not JSON; computing it again')
        return undefined
      }
      const parsed = options.schema.safeParse(value)
      if (!parsed.success) {
        log.debug({key, problem: parsed.error.message}, 'stored stage result has another shape; computing it again')
        return undefined
      }
      return parsed.data
    },

    async put(key, result, origin) {
      const {written} = await queueWrite(key, result, origin, true)
      await written
    },

    async putBehind(key, result, origin) {
      const {written} = await queueWrite(key, result, origin, false)
      if (writesWaiting > WRITES_AHEAD) await written
    },

    async close() {
      await writes.drain()
      await lookups.drain()
    },
  }
}

/**
 * The storage key of a large result: derived from the key alone, so storing it again (a retry, a
 * recomputation) overwrites rather than duplicates.
 */
export function resultStorageKey(adapterType: string, key: StageResultKey): string {
  return `stage-results/${adapterType}/${key.configHash}/${key.inputHash}.json`
}
