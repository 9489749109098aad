import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {z} from 'zod'

import type {Database} from '../../src/db/types.js'
import type {Logger} from '../../src/logging/logger.js'
import {createStageResultCache, INLINE_RESULT_BYTES, resultStorageKey, type StageResultCache} from '../../src/stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../src/stage-results/stage-key.js'
import type {FileObjectStore} from '../../src/storage/file-object-store.js'
import {createScratchStorage} from '../adapters/markdown/context.js'
import {databaseTargets, type MigratedDatabase} from '../helpers/migrated-database.js'

const result = z.strictObject({text: z.string(), n: z.int()})
type Result = z.output<typeof result>
const EXECUTION = '01890a5d-ac96-774b-bcce-b302099a8057'

/** The database with every statement text recorded (to see how many round trips a batch took). */
function recording(db: Database): {db: Database; statements: string[]} {
  const statements: string[] = []
  return {
    statements,
    db: {
      kind: db.kind, location: db.location,
      query: (sql, params) => { statements.push(sql); return db.query(sql, params) },
      copyFrom: (target, data) => db.copyFrom(target, data),
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
    },
  }
}

/** A logger that keeps the warnings it is given. */
function warningLogger(): Logger & {warnings: string[]} {
  const warnings: string[] = []
  const logger: Logger & {warnings: string[]} = {
    warnings, debug() {}, info() {}, error() {},
    warn(_fields, message) { warnings.push(message) },
    child: () => logger,
  }
  return logger
}

const key = (input: string, config: unknown = {max_tokens: 512}) => ({configHash: stageConfigHash('probe', '1', config), inputHash: stageInputHash(input)})

describe.each(await databaseTargets())('stage results on $name', ({skip, open}) => {
  let target: MigratedDatabase
  let storage: FileObjectStore
  let removeStorage: () => Promise<void>

  beforeAll(async () => {
    if (skip) return
    target = await open()
    ;({storage, remove: removeStorage} = await createScratchStorage())
  }, 60_000)
  afterAll(async () => {
    await target?.dispose()
    await removeStorage?.()
  })
  beforeEach(async () => {
    if (!skip) await target.db.query('DELETE FROM stage_results')
  })

  function cacheFor(options: {adapterType?: string; db?: Database; logger?: Logger} = {}): StageResultCache<Result> {
    return createStageResultCache({
      adapterType: options.adapterType ?? 'probe', schema: result, database: async () => options.db ?? target.db,
      storage, logger: options.logger ?? warningLogger(),
    })
  }

  it.skipIf(skip)('answers nothing for a key never stored, then the result stored under it', async () => {
    const cache = cacheFor()
    expect(await cache.get(key('a'))).toBeUndefined()
    await cache.put(key('a'), {text: 'A', n: 1}, {executionId: EXECUTION})
    expect(await cache.get(key('a'))).toEqual({text: 'A', n: 1})
    const {rows} = await target.db.query<{execution_id: string; output_bytes: number}>('SELECT execution_id, output_bytes FROM stage_results')
    expect(rows).toEqual([{execution_id: EXECUTION, output_bytes: JSON.stringify({text: 'A', n: 1}).length}])
  })

  it.skipIf(skip)('keeps results of another input, another config and another adapter type apart', async () => {
    await cacheFor().put(key('a'), {text: 'A', n: 1}, {executionId: EXECUTION})
    expect(await cacheFor().get(key('b'))).toBeUndefined()
    expect(await cacheFor().get(key('a', {max_tokens: 256}))).toBeUndefined()
    expect(await cacheFor({adapterType: 'other'}).get(key('a'))).toBeUndefined()
  })

  it.skipIf(skip)('replaces a result stored again under the same key', async () => {
    const cache = cacheFor()
    await cache.put(key('a'), {text: 'old', n: 1}, {executionId: 'not-a-uuid'})
    await cache.put(key('a'), {text: 'new', n: 2}, {executionId: EXECUTION})
    expect(await cache.get(key('a'))).toEqual({text: 'new', n: 2})
    const {rows} = await target.db.query<{n: number}>('SELECT count(*)::int AS n FROM stage_results')
    expect(rows[0]!.n).toBe(1)
  })

  it.skipIf(skip)('keeps text with NUL characters, quotes and non-ASCII intact', async () => {
    const text = 'a\u0000b "quoted" \\ back-slash, Grüße, 日本語, 🙂'
    await cacheFor().put(key('nul'), {text, n: 0}, {executionId: EXECUTION})
    expect(await cacheFor().get(key('nul'))).toEqual({text, n: 0})
  })

  it.skipIf(skip)('puts a result over 64 KiB in storage under a key derived from its key, and reads it back', async () => {
    const big = {text: 'x'.repeat(INLINE_RESULT_BYTES + 1), n: 7}
    await cacheFor().put(key('big'), big, {executionId: EXECUTION})
    const {rows} = await target.db.query<{output: string | null; output_key: string}>('SELECT output, output_key FROM stage_results')
    expect(rows).toEqual([{output: null, output_key: resultStorageKey('probe', key('big'))}])
    expect(await storage.exists(rows[0]!.output_key)).toBe(true)
    expect(await cacheFor().get(key('big'))).toEqual(big)
  })

  it.skipIf(skip)('misses when a large result is gone from storage', async () => {
    await cacheFor().put(key('gone'), {text: 'y'.repeat(INLINE_RESULT_BYTES + 1), n: 1}, {executionId: EXECUTION})
    await storage.delete(resultStorageKey('probe', key('gone')))
    const logger = warningLogger()
    expect(await cacheFor({logger}).get(key('gone'))).toBeUndefined()
    expect(logger.warnings).toEqual([])
  })

  it.skipIf(skip)('misses when the stored result has another shape or is not JSON', async () => {
    const insert = 'INSERT INTO stage_results (adapter_type, config_hash, input_hash, output, output_bytes) VALUES ($1, $2, $3, $4, 1)'
    await target.db.query(insert, ['probe', key('shape').configHash, key('shape').inputHash, '{"text": "A"}'])
    await target.db.query(insert, ['probe', key('junk').configHash, key('junk').inputHash, '{not json'])
    expect(await cacheFor().get(key('shape'))).toBeUndefined()
    expect(await cacheFor().get(key('junk'))).toBeUndefined()
  })

  it.skipIf(skip)('answers concurrent lookups and writes with one statement each', async () => {
    const {db, statements} = recording(target.db)
    const cache = cacheFor({db})
    const inputs = Array.from({length: 20}, (_, i) => `doc ${i}`)
    await Promise.all(inputs.map((input, n) => cache.put(key(input), {text: input, n}, {executionId: EXECUTION})))
    const found = await Promise.all(inputs.map((input) => cache.get(key(input))))
    expect(found).toEqual(inputs.map((input, n) => ({text: input, n})))
    expect(statements.filter((sql) => sql.includes('INSERT INTO stage_results'))).toHaveLength(1)
    expect(statements.filter((sql) => sql.includes('FROM stage_results'))).toHaveLength(1)
  })

  it.skipIf(skip)('lets the last of two writes of one key in a batch win', async () => {
    const cache = cacheFor()
    await Promise.all([cache.put(key('twice'), {text: 'first', n: 1}, {executionId: EXECUTION}), cache.put(key('twice'), {text: 'second', n: 2}, {executionId: EXECUTION})])
    expect(await cache.get(key('twice'))).toEqual({text: 'second', n: 2})
  })

  it.skipIf(skip)('misses and gives up without throwing when the database fails, warning once', async () => {
    const logger = warningLogger()
    const broken: Database = {...recording(target.db).db, query: async () => { throw new Error('connection reset') }}
    const cache = cacheFor({db: broken, logger})
    expect(await cache.get(key('a'))).toBeUndefined()
    await expect(cache.put(key('a'), {text: 'A', n: 1}, {executionId: EXECUTION})).resolves.toBeUndefined()
    expect(await cache.get(key('b'))).toBeUndefined()
    expect(logger.warnings).toHaveLength(1)
  })
})

describe('stage results without a database', () => {
  it('misses, stores nothing and warns about nothing', async () => {
    const {storage, remove} = await createScratchStorage()
    try {
      const logger = warningLogger()
      const cache = createStageResultCache({
        adapterType: 'probe', schema: result, storage, logger,
        database: async () => { throw new Error('this execution has no database') },
      })
      await cache.put(key('big'), {text: 'z'.repeat(INLINE_RESULT_BYTES + 1), n: 1}, {executionId: EXECUTION})
      expect(await cache.get(key('big'))).toBeUndefined()
      expect((await storage.list('')).objects).toEqual([])
      expect(logger.warnings).toEqual([])
    } finally {
      await remove()
    }
  })
})

describe('stage results while the database is still opening', () => {
  it('putBehind returns at once, and close waits for the writes, which land once it opens', async () => {
    const {storage, remove} = await createScratchStorage()
    try {
      const upserts: unknown[][] = []
      let open!: (db: Database) => void
      const opening = new Promise<Database>((resolve) => { open = resolve })
      const cache = createStageResultCache({
        adapterType: 'probe', schema: result, storage, logger: warningLogger(), emptyAtStart: true,
        database: () => opening,
      })
      // Each returns before the database exists (a stage hands its result on without waiting).
      const returned = await Promise.race([
        Promise.all([1, 2, 3].map((n) => cache.putBehind(key(`p${n}`), {text: `t${n}`, n}, {executionId: EXECUTION}))).then(() => 'returned'),
        new Promise((resolve) => setTimeout(() => resolve('waited'), 2000)),
      ])
      expect(returned).toBe('returned')
      let closed = false
      const closing = cache.close().then(() => { closed = true })
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(closed).toBe(false)
      open({query: async (_sql: string, params?: unknown[]) => { upserts.push(params ?? []); return {rows: [], rowCount: 0} }} as unknown as Database)
      await closing
      expect(upserts).toHaveLength(1)
      expect(upserts[0]!.filter((param) => typeof param === 'string' && param.startsWith('{"text"'))).toHaveLength(3)
    } finally {
      await remove()
    }
  })
})

describe('stage keys', () => {
  it('hash a config the same whatever the order of its keys, and differently when a value changes', () => {
    expect(stageConfigHash('t', '1', {a: 1, b: {c: 2, d: [1, 2]}})).toBe(stageConfigHash('t', '1', {b: {d: [1, 2], c: 2}, a: 1}))
    expect(stageConfigHash('t', '1', {a: 1})).not.toBe(stageConfigHash('t', '1', {a: 2}))
    expect(stageConfigHash('t', '1', {a: 1})).not.toBe(stageConfigHash('t', '2', {a: 1}))
    expect(stageConfigHash('t', '1', {a: 1})).not.toBe(stageConfigHash('u', '1', {a: 1}))
  })

  it('hash one input as its sha256, and several so that parts cannot run into each other', () => {
    expect(stageInputHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(stageInputHash('ab', 'c')).not.toBe(stageInputHash('a', 'bc'))
  })
})
