import {copyFile, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {v7 as uuidv7, version as uuidVersion} from 'uuid'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'
import {BinaryCopyWriter} from '../../src/db/binary-copy.js'
import {defaultMigrationsDir, loadMigrations, migrate} from '../../src/db/migrate.js'
import type {Database} from '../../src/db/types.js'
import {createExecutionRepository} from '../../src/executions/execution-repository.js'
import {createLineageWriter} from '../../src/lineage/batched-lineage-writer.js'
import {createLineageQueries} from '../../src/lineage/lineage-queries.js'
import type {LineageRow} from '../../src/lineage/types.js'
import {lineageRow, lineageRows} from '../helpers/lineage-rows.js'

export interface DatabaseContractOptions {
  /** Skip the whole suite (service not reachable on this machine). */
  skip?: boolean
  /** A fresh, empty database; called once per suite. */
  open(): Promise<Database>
  /** Releases what `open` created (close the database, drop it). */
  dispose(db: Database): Promise<void>
}

/**
 * The behaviour every `Database` implementation must show, with the migrations, the execution
 * repository, the lineage writer and the lineage queries on top. Run for PGlite and PostgreSQL.
 */
export function describeDatabaseContract(name: string, options: DatabaseContractOptions): void {
  describe.skipIf(options.skip === true)(`database contract: ${name}`, () => {
    let db: Database
    let firstMigration: Awaited<ReturnType<typeof migrate>>

    beforeAll(async () => {
      db = await options.open()
      firstMigration = await migrate(db)
    })
    afterAll(async () => {
      if (db !== undefined) await options.dispose(db)
    })

    describe('migrations', () => {
      it('applies every migration once and is idempotent', async () => {
        // A new embedded directory is created with them already applied (migrate then has nothing to do).
        const shipped = (await loadMigrations(defaultMigrationsDir())).map((migration) => migration.version)
        expect([[], shipped]).toContainEqual(firstMigration.applied)
        expect(firstMigration.current).toBe(shipped.at(-1))
        const again = await migrate(db)
        expect(again).toEqual({applied: [], current: firstMigration.current})
        const {rows} = await db.query<{version: number}>('SELECT version FROM schema_migrations ORDER BY version')
        expect(rows.map((row) => row.version)).toEqual(shipped)
      })

      it('refuses a migration changed after it was applied, and a version it does not ship', async () => {
        const dir = await scratchMigrations({'0900_probe.sql': 'CREATE TABLE contract_probe (id integer);\n'})
        try {
          expect((await migrate(db, {migrationsDir: dir})).applied).toEqual([900])
          await writeFile(path.join(dir, '0900_probe.sql'), 'CREATE TABLE contract_probe (id bigint);\n')
          await expect(migrate(db, {migrationsDir: dir})).rejects.toMatchObject({code: 'MIGRATION_CHECKSUM_MISMATCH'})
          await expect(migrate(db)).rejects.toMatchObject({code: 'MIGRATION_UNKNOWN'})
        } finally {
          await db.query('DELETE FROM schema_migrations WHERE version = 900')
          await db.query('DROP TABLE IF EXISTS contract_probe')
          await rm(dir, {recursive: true, force: true})
        }
      })

      it('rolls a failing migration back whole', async () => {
        const dir = await scratchMigrations({
          '0901_broken.sql': 'CREATE TABLE contract_broken (id integer);\nSELECT * FROM no_such_table;\n',
        })
        try {
          await expect(migrate(db, {migrationsDir: dir})).rejects.toMatchObject({code: 'MIGRATION_FAILED'})
          const {rows} = await db.query(`SELECT 1 FROM pg_tables WHERE tablename = 'contract_broken'`)
          expect(rows).toHaveLength(0)
          const applied = await db.query('SELECT 1 FROM schema_migrations WHERE version = 901')
          expect(applied.rows).toHaveLength(0)
        } finally {
          await rm(dir, {recursive: true, force: true})
        }
      })
    })

    describe('transactions', () => {
      it('commits what the callback did, and rolls everything back when it throws', async () => {
        await db.query('CREATE TABLE IF NOT EXISTS contract_tx (id integer PRIMARY KEY)')
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO contract_tx (id) VALUES ($1)', [1])
        })
        await expect(db.transaction(async (tx) => {
          await tx.query('INSERT INTO contract_tx (id) VALUES ($1)', [2])
          throw new Error('boom')
        })).rejects.toThrow('boom')
        const {rows} = await db.query<{id: number}>('SELECT id FROM contract_tx ORDER BY id')
        expect(rows).toEqual([{id: 1}])
      })
    })

    describe('bulk load', () => {
      it('copies rows in binary format with every field type the embedding store writes', async () => {
        await db.query(`CREATE TABLE contract_binary (id uuid PRIMARY KEY, name text, n integer, doc jsonb, floats real[])`)
        const floats = new Float32Array([0.5, -1.25, 2 ** -20])
        const body = new BinaryCopyWriter()
          .row(5).uuid('0192f1a2-0000-7000-8000-00000000000a').text('héllo\ttab').int4(-7).jsonb({a: [1, 'ü']}).float4Array(floats)
          .row(5).uuid('0192f1a2-0000-7000-8000-00000000000b').text(null).int4(2 ** 31 - 1).jsonb([]).float4Array(new Float32Array(0))
          .finish()
        expect(await db.copyFrom({table: 'contract_binary', columns: ['id', 'name', 'n', 'doc', 'floats']}, body)).toBe(2)
        const {rows} = await db.query<{floats: number[]}>('SELECT id, name, n, doc, floats FROM contract_binary ORDER BY id')
        // real[] comes back as shortest round-trip text: equal once rounded to float32 again.
        const stored = rows.map((row) => ({...row, floats: row.floats.map(Math.fround)}))
        expect(stored).toEqual([
          {id: '0192f1a2-0000-7000-8000-00000000000a', name: 'héllo\ttab', n: -7, doc: {a: [1, 'ü']}, floats: [...floats]},
          {id: '0192f1a2-0000-7000-8000-00000000000b', name: null, n: 2 ** 31 - 1, doc: [], floats: []},
        ])
      })

      it('copies nothing from a binary body with a bad row', async () => {
        await db.query('CREATE TABLE contract_binary_bad (id integer PRIMARY KEY)')
        const duplicate = new BinaryCopyWriter().row(1).int4(1).row(1).int4(1).finish()
        await expect(db.copyFrom({table: 'contract_binary_bad', columns: ['id']}, duplicate)).rejects.toMatchObject({code: '23505'})
        expect((await db.query('SELECT * FROM contract_binary_bad')).rows).toEqual([])
      })
    })

    describe('execution repository', () => {
      it('records an execution as running, with a UUIDv7 id and the snapshot as given', async () => {
        const executions = createExecutionRepository(db)
        const snapshot = {name: 'demo', routes: {crawl: {adapters: [{type: 'web_fetcher', config: {depth: 2}}]}}}
        const created = await executions.create({config_name: 'demo', config_snapshot: snapshot, metadata: {user: 'ann'}})
        expect(uuidVersion(created.id)).toBe(7)
        expect(created).toMatchObject({status: 'running', config_name: 'demo', config_snapshot: snapshot, tag: null,
          metadata: {user: 'ann'}, summary: null, completed_at: null})
        expect(created.started_at).toBeInstanceOf(Date)
        expect(await executions.getById(created.id)).toEqual(created)
      })

      it('finds an execution by id or tag and refuses a tag already taken', async () => {
        const executions = createExecutionRepository(db)
        const tag = `nightly-${uuidv7()}`
        const created = await executions.create({config_name: 'demo', config_snapshot: {}, tag})
        expect((await executions.getByTag(tag))?.id).toBe(created.id)
        expect((await executions.resolve(tag)).id).toBe(created.id)
        expect((await executions.resolve(created.id)).tag).toBe(tag)
        await expect(executions.resolve('no-such-thing')).rejects.toMatchObject({code: 'EXECUTION_NOT_FOUND'})
        await expect(executions.create({config_name: 'demo', config_snapshot: {}, tag}))
          .rejects.toMatchObject({code: 'EXECUTION_TAG_TAKEN'})
      })

      it('stores the final status with summary and error, stamping completed_at', async () => {
        const executions = createExecutionRepository(db)
        const created = await executions.create({config_name: 'demo', config_snapshot: {}})
        const failed = await executions.updateStatus(created.id, {
          status: 'failed', summary: {completed: 3, dead_lettered: 1}, error_info: {message: 'broker gone'},
        })
        expect(failed).toMatchObject({status: 'failed', summary: {completed: 3, dead_lettered: 1}, error_info: {message: 'broker gone'}})
        expect(failed.completed_at).toBeInstanceOf(Date)
        expect(await executions.getById(created.id)).toEqual(failed)
        await expect(executions.updateStatus(uuidv7(), {status: 'completed'})).rejects.toMatchObject({code: 'EXECUTION_NOT_FOUND'})
      })

      it('refuses a status change when the execution is not in an expected state', async () => {
        const executions = createExecutionRepository(db)
        const created = await executions.create({config_name: 'demo', config_snapshot: {}})
        await executions.updateStatus(created.id, {status: 'completed'})
        await expect(executions.updateStatus(created.id, {status: 'cancelled', only_from: ['running']}))
          .rejects.toMatchObject({code: 'EXECUTION_STATE_CONFLICT'})
        expect((await executions.getById(created.id))?.status).toBe('completed')
      })

      it('lists executions newest first, filtered by status and paged', async () => {
        const executions = createExecutionRepository(db)
        const configId = uuidv7()
        const ids: string[] = []
        for (let i = 0; i < 5; i++) {
          const created = await executions.create({config_name: 'listed', config_id: configId, config_snapshot: {i}})
          if (i % 2 === 0) await executions.updateStatus(created.id, {status: 'completed'})
          ids.push(created.id)
        }
        const page = await executions.list({config_id: configId, limit: 2, offset: 1})
        expect(page).toMatchObject({total: 5, limit: 2, offset: 1, has_more: true})
        expect(page.items.map((item) => item.id)).toEqual([ids[3], ids[2]])
        expect(page.items[0]).not.toHaveProperty('config_snapshot')
        const completed = await executions.list({config_id: configId, status: 'completed'})
        expect(completed.items.map((item) => item.id)).toEqual([ids[4], ids[2], ids[0]])
        expect(completed.has_more).toBe(false)
      })

      it('marks executions still running as interrupted', async () => {
        const executions = createExecutionRepository(db)
        const running = await executions.create({config_name: 'demo', config_snapshot: {}})
        const done = await executions.create({config_name: 'demo', config_snapshot: {}})
        await executions.updateStatus(done.id, {status: 'completed'})
        const interrupted = await executions.markRunningAsInterrupted()
        expect(interrupted).toContain(running.id)
        expect(interrupted).not.toContain(done.id)
        expect((await executions.getById(running.id))?.status).toBe('interrupted')
        expect((await executions.getById(done.id))?.status).toBe('completed')
      })

      it('records dead letters and lists those of an execution', async () => {
        const executions = createExecutionRepository(db)
        const execution = await executions.create({config_name: 'demo', config_snapshot: {}})
        const message = {message_id: uuidv7(), payload: {url: 'https://example.test'}}
        const first = await executions.recordDeadLetter({
          execution_id: execution.id, route_id: 'crawl', stage: 'fetch', message, error_info: {message: '404'}, attempts: 3,
        })
        await executions.recordDeadLetter({
          execution_id: execution.id, route_id: 'parse', stage: null, message: {}, error_info: null, attempts: 1,
        })
        await executions.recordDeadLetter({
          execution_id: uuidv7(), route_id: 'crawl', stage: 'fetch', message: {}, error_info: null, attempts: 1,
        })
        expect(first).toMatchObject({route_id: 'crawl', stage: 'fetch', message, error_info: {message: '404'}, attempts: 3, redriven_at: null})
        const listed = await executions.listDeadLetters(execution.id)
        expect(listed.total).toBe(2)
        expect(listed.items[0]).toEqual(first)
        const redriven = await executions.markDeadLetterRedriven(first.id)
        expect(redriven?.redriven_at).toBeInstanceOf(Date)
        const open = await executions.listDeadLetters(execution.id, {include_redriven: false})
        expect(open.items.map((item) => item.route_id)).toEqual(['parse'])
      })
    })

    describe('lineage writer', () => {
      it('stores every written row exactly once, with its fields intact', async () => {
        const executionId = uuidv7()
        const rows = lineageRows(12_000, executionId)
        const odd = lineageRow({
          execution_id: executionId,
          parent_id: uuidv7(),
          route_id: 'tab\there \\ and\nnewline',
          stage_status: 'failed',
          stage_input_hash: null,
          completed_at: null,
          duration_ms: null,
          metadata: {title: 'quotes "x" \\ back\ttab\r\nnul\u0000 ünïcødé 🎉', nested: {list: [1, null, 'two']}},
          error_info: {error_class: 'TypeError', message: 'bad\nthing', retryable: false, stack: 'at x\n  at y'},
          replay_batch_id: uuidv7(),
        })
        const writer = createLineageWriter(db, {maxBatchRows: 5000, flushIntervalMs: 20})
        for (const row of [...rows, odd]) writer.write(row)
        await writer.close(30_000)
        expect(writer.stats()).toEqual({written: 12_001, pending: 0, failedFlushes: 0, dropped: 0})

        const count = await db.query<{n: number; ids: number}>(
          'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM lineage WHERE execution_id = $1', [executionId])
        expect(count.rows[0]).toEqual({n: 12_001, ids: 12_001})
        const queries = createLineageQueries(db)
        expect(await queries.get(rows[777].id)).toEqual(rows[777])
        expect(await queries.get(odd.id)).toEqual({
          ...odd,
          metadata: {...odd.metadata, title: 'quotes "x" \\ back\ttab\r\nnul\uFFFD ünïcødé 🎉'},
        })
      })

      it('leaves index upkeep to the first query by execution or id, which finds every row', async () => {
        const summarizeNew = async () => (await db.query<{n: number}>(
          "SELECT (brin_summarize_new_values('lineage_execution_brin') + brin_summarize_new_values('lineage_id_brin') + " +
          "brin_summarize_new_values('lineage_chain_bloom'))::int AS n")).rows[0].n
        // PostgreSQL's autovacuum would otherwise be free to summarise and analyse in between.
        await db.query('ALTER TABLE lineage SET (autovacuum_enabled = false)')
        onTestFinished(async () => {
          await db.query('ALTER TABLE lineage RESET (autovacuum_enabled)')
        })
        await summarizeNew()
        const executionId = uuidv7()
        const writerQueries: string[] = []
        const watched = new Proxy(db, {
          get: (target, key, receiver) => key === 'query'
            ? (text: string, values?: unknown[]) => (writerQueries.push(text), target.query(text, values))
            : Reflect.get(target, key, receiver),
        })
        const rows = lineageRows(5000, executionId)
        const writer = createLineageWriter(watched, {maxBatchRows: 2000})
        for (const row of rows) writer.write(row)
        await writer.close(30_000)
        // The writer only writes: no index upkeep at the end of a run.
        expect(writerQueries.filter((text) => /brin_summarize|ANALYZE/i.test(text))).toEqual([])
        const upkeep: string[] = []
        const queries = createLineageQueries({
          query: ((text: string, values?: unknown[]) => {
            if (/brin_summarize|ANALYZE/.test(text)) upkeep.push(text.includes('ANALYZE') ? 'analyze' : 'summarize')
            return db.query(text, values)
          }) as Database['query'],
        })
        const page = await queries.byExecution(executionId, {limit: 10})
        expect(page.total).toBe(5000)
        expect(upkeep).toEqual(['summarize', 'analyze'])
        // The query summarised the ranges the writer filled (all three BRIN indexes) and refreshed the statistics.
        expect(await summarizeNew()).toBe(0)
        expect((await queries.stats(executionId)).reduce((n, s) => n + s.count, 0)).toBe(5000)
        expect(await queries.get(rows[4321].id)).toEqual(rows[4321])
        // More rows: summarised again, but statistics are refreshed at most once a minute.
        const more = createLineageWriter(db)
        for (const row of lineageRows(2000, executionId)) more.write(row)
        await more.close(30_000)
        expect((await queries.byExecution(executionId, {limit: 1})).total).toBe(7000)
        expect(upkeep).toEqual(['summarize', 'analyze', 'summarize', 'summarize', 'summarize'])
        // A message's rows, and a level of a descendant walk, through the chain's bloom index, not a scan.
        const plan = async (sql: string, values: unknown[]) =>
          (await db.query<Record<string, string>>(`EXPLAIN ${sql}`, values)).rows.map((r) => Object.values(r)[0]).join('\n')
        expect(await plan('SELECT * FROM lineage WHERE message_id = $1', [rows[7].message_id])).toContain('lineage_chain_bloom')
        // (On a table this small the planner rightly prefers a scan for a list; forbidden one, it must use the index.)
        await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off')
          const {rows: list} = await tx.query<Record<string, string>>('EXPLAIN SELECT * FROM lineage WHERE parent_id = ANY($1::uuid[])',
            [[rows[7].message_id, rows[8].message_id]])
          expect(list.map((r) => Object.values(r)[0]).join('\n')).toContain('Bitmap Index Scan on lineage_chain_bloom')
        })
        // A role that may not summarise still gets its answers (and is not asked again).
        const calls: string[] = []
        const readOnly = {
          query: (async (text: string, values?: unknown[]) => {
            calls.push(text)
            if (text.includes('brin_summarize_new_values')) throw new Error('must be owner of index lineage_execution_brin')
            return db.query(text, values)
          }) as Database['query'],
        }
        const restricted = createLineageQueries(readOnly)
        expect((await restricted.byExecution(executionId, {limit: 1})).total).toBe(7000)
        expect((await restricted.failures({execution_id: executionId})).total).toBe(0)
        expect(await restricted.get(rows[9].id)).toEqual(rows[9])
        expect(calls.filter((text) => text.includes('brin_summarize_new_values'))).toHaveLength(1)
      })

      it('stores a batch once when the connection drops after its COPY committed (the retry skips rows already there)', async () => {
        const executionId = uuidv7()
        const rows = lineageRows(300, executionId)
        let copies = 0
        // The first COPY commits, then the connection "drops" before the writer hears back.
        const flaky = new Proxy(db, {
          get: (target, key, receiver) => key === 'copyFrom'
            ? async (...args: Parameters<Database['copyFrom']>) => {
              await target.copyFrom(...args)
              if (++copies === 1) throw new Error('Connection terminated unexpectedly')
            }
            : Reflect.get(target, key, receiver),
        })
        const writer = createLineageWriter(flaky, {retryInitialDelayMs: 1, maxBatchRows: 1000})
        for (const row of rows) writer.write(row)
        await writer.close(30_000)
        expect(writer.stats()).toMatchObject({written: 300, dropped: 0, failedFlushes: 1})
        const count = await db.query<{n: number; ids: number}>(
          'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM lineage WHERE execution_id = $1', [executionId])
        expect(count.rows[0]).toEqual({n: 300, ids: 300})
      })

      it('drops a row the database rejects and stores the rest of its batch', async () => {
        const executionId = uuidv7()
        const rows = lineageRows(40, executionId)
        rows[17] = {...rows[17], correlation_id: 'not-a-uuid'}
        const writer = createLineageWriter(db, {maxBatchRows: 100})
        for (const row of rows) writer.write(row)
        await writer.flush(30_000)
        expect(writer.stats()).toMatchObject({written: 39, dropped: 1, pending: 0})
        const {rows: stored} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM lineage WHERE execution_id = $1', [executionId])
        expect(stored[0].n).toBe(39)
        await writer.close()
      })
    })

    describe('lineage queries', () => {
      // A ─┬─ B ── D ── E      (A has two rows: two adapters ran on it)
      //    └─ C (failed)
      const executionId = uuidv7()
      const replayBatch = uuidv7()
      const ids = {A: uuidv7(), B: uuidv7(), C: uuidv7(), D: uuidv7(), E: uuidv7()}
      const at = (ms: number) => new Date(Date.UTC(2026, 3, 22, 12, 0, 0, ms))
      const row = (message: keyof typeof ids, parent: keyof typeof ids | null, extra: Partial<LineageRow>) => lineageRow({
        execution_id: executionId, message_id: ids[message], parent_id: parent === null ? null : ids[parent], ...extra,
      })
      const tree = {
        A0: row('A', null, {route_id: 'crawl', adapter_name: 'web_fetcher', adapter_index: 0, started_at: at(0), duration_ms: 10}),
        A1: row('A', null, {route_id: 'crawl', adapter_name: 'html_parser', adapter_index: 1, started_at: at(1), duration_ms: 20}),
        B: row('B', 'A', {route_id: 'markdown', adapter_name: 'markdown_converter', started_at: at(2), duration_ms: 30}),
        C: row('C', 'A', {route_id: 'markdown', adapter_name: 'markdown_converter', started_at: at(3), duration_ms: 40,
          stage_status: 'failed', error_info: {error_class: 'Error', message: 'no body', retryable: false}}),
        D: row('D', 'B', {route_id: 'segment', adapter_name: 'segmenter', started_at: at(4), duration_ms: 50,
          metadata: {document_id: 'doc-1'}}),
        E: row('E', 'D', {route_id: 'segment', adapter_name: 'segmenter', started_at: at(5), duration_ms: 60,
          replay_batch_id: replayBatch}),
      }

      beforeAll(async () => {
        const writer = createLineageWriter(db)
        for (const lineage of Object.values(tree)) writer.write(lineage)
        await writer.close(30_000)
      })

      it('walks the chain of a row: ancestors root first, its message, descendants nearest first', async () => {
        const queries = createLineageQueries(db)
        const chain = await queries.chain(tree.B.id)
        expect(chain?.row).toEqual(tree.B)
        expect(chain?.ancestors.map((r) => [r.id, r.depth])).toEqual([[tree.A0.id, 1], [tree.A1.id, 1]])
        expect(chain?.siblings.map((r) => r.id)).toEqual([tree.B.id])
        expect(chain?.descendants.map((r) => [r.id, r.depth])).toEqual([[tree.D.id, 1], [tree.E.id, 2]])

        const fromLeaf = await queries.chain(tree.E.id)
        expect(fromLeaf?.ancestors.map((r) => [r.id, r.depth]))
          .toEqual([[tree.A0.id, 3], [tree.A1.id, 3], [tree.B.id, 2], [tree.D.id, 1]])
        expect(fromLeaf?.descendants).toEqual([])
        expect((await queries.chain(tree.A1.id))?.siblings.map((r) => r.id)).toEqual([tree.A0.id, tree.A1.id])
        expect(await queries.chain(uuidv7())).toBeUndefined()
      })

      it('lists the direct children of a row', async () => {
        const queries = createLineageQueries(db)
        expect((await queries.children(tree.A0.id)).map((r) => r.id)).toEqual([tree.B.id, tree.C.id])
        expect(await queries.children(tree.E.id)).toEqual([])
      })

      it('walks a wide tree level by level, whatever the width of a level', async () => {
        // R ── 1200 children (more than one lookup's worth) ── one grandchild each.
        const wide = uuidv7()
        const base = Date.UTC(2026, 3, 23, 9, 0, 0)
        const root = lineageRow({execution_id: wide, started_at: new Date(base)})
        const children = Array.from({length: 1200}, (_, i) => lineageRow({
          execution_id: wide, parent_id: root.message_id, started_at: new Date(base + 1 + ((i * 7919) % 1200)),
        }))
        const grandchildren = children.map((child, i) => lineageRow({
          execution_id: wide, parent_id: child.message_id, started_at: new Date(base + 2000 + i),
        }))
        const writer = createLineageWriter(db)
        for (const r of [root, ...grandchildren, ...children]) writer.write(r)
        await writer.close(30_000)
        const byTime = (rows: LineageRow[]) => [...rows].sort((a, b) => a.started_at.getTime() - b.started_at.getTime()).map((r) => r.id)

        const queries = createLineageQueries(db)
        const chain = await queries.chain(root.id)
        expect(chain?.descendants.filter((r) => r.depth === 1).map((r) => r.id)).toEqual(byTime(children))
        expect(chain?.descendants.filter((r) => r.depth === 2).map((r) => r.id)).toEqual(byTime(grandchildren))
        expect(chain?.descendants.map((r) => r.depth)).toEqual([...children.map(() => 1), ...grandchildren.map(() => 2)])
        expect((await queries.chain(root.id, {maxDepth: 1}))?.descendants).toHaveLength(1200)
        expect((await queries.children(root.id)).map((r) => r.id)).toEqual(byTime(children))
        const leaf = await queries.chain(grandchildren[600].id)
        expect(leaf?.ancestors.map((r) => [r.id, r.depth])).toEqual([[root.id, 2], [children[600].id, 1]])
        expect((await queries.chain(grandchildren[600].id, {maxDepth: 1}))?.ancestors.map((r) => r.id)).toEqual([children[600].id])
      })

      it('computes per route and adapter counts, average and p95 duration', async () => {
        const stats = await createLineageQueries(db).stats(executionId)
        expect(stats).toEqual([
          {route_id: 'crawl', adapter_name: 'web_fetcher', adapter_index: 0, count: 1, completed: 1, failed: 0, skipped: 0,
            avg_duration_ms: 10, p95_duration_ms: 10},
          {route_id: 'crawl', adapter_name: 'html_parser', adapter_index: 1, count: 1, completed: 1, failed: 0, skipped: 0,
            avg_duration_ms: 20, p95_duration_ms: 20},
          {route_id: 'markdown', adapter_name: 'markdown_converter', adapter_index: 0, count: 2, completed: 1, failed: 1,
            skipped: 0, avg_duration_ms: 35, p95_duration_ms: expect.closeTo(39.5, 6)},
          {route_id: 'segment', adapter_name: 'segmenter', adapter_index: 0, count: 2, completed: 2, failed: 0, skipped: 0,
            avg_duration_ms: 55, p95_duration_ms: expect.closeTo(59.5, 6)},
        ])
      })

      it('filters and pages the rows of an execution', async () => {
        const queries = createLineageQueries(db)
        const all = await queries.byExecution(executionId)
        expect(all.items.map((r) => r.id)).toEqual(Object.values(tree).map((r) => r.id))
        const page = await queries.byExecution(executionId, {limit: 2, offset: 2, sort_order: 'desc'})
        expect(page).toMatchObject({total: 6, limit: 2, offset: 2, has_more: true})
        expect(page.items.map((r) => r.id)).toEqual([tree.C.id, tree.B.id])
        expect((await queries.byExecution(executionId, {route_id: 'segment'})).total).toBe(2)
        expect((await queries.byExecution(executionId, {adapter: 'html_parser'})).items).toEqual([tree.A1])
        expect((await queries.byExecution(executionId, {status: 'failed'})).items).toEqual([tree.C])
        expect((await queries.byExecution(executionId, {is_root: true})).total).toBe(2)
        expect((await queries.byExecution(executionId, {metadata: {document_id: 'doc-1'}})).items).toEqual([tree.D])
        expect((await queries.byExecution(executionId, {started_after: at(3), started_before: at(5)})).items).toEqual([tree.D])
      })

      it('lists failures and the rows of a replay batch', async () => {
        const queries = createLineageQueries(db)
        expect((await queries.failures({execution_id: executionId})).items).toEqual([tree.C])
        expect((await queries.byReplayBatch(replayBatch)).items).toEqual([tree.E])
        expect(await queries.get('not-a-uuid')).toBeUndefined()
        await expect(queries.stats('not-a-uuid')).rejects.toMatchObject({code: 'INVALID_ID'})
      })
    })
  })
}

/** A migrations folder holding the shipped migrations plus `extra` files. */
async function scratchMigrations(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-migrations-'))
  const shipped = defaultMigrationsDir()
  for (const file of await readdir(shipped)) await copyFile(path.join(shipped, file), path.join(dir, file))
  for (const [file, sql] of Object.entries(extra)) await writeFile(path.join(dir, file), sql)
  return dir
}
