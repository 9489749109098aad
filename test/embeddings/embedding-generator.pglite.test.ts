import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {testResources} from '../helpers/adapter-resources.js'
import {embeddingGeneratorConfig} from '../../src/adapters/llm/catalog.js'
import {createEmbeddingGenerator} from '../../src/adapters/llm/embedding-generator.js'
import type {AdapterOutput, AdapterResources} from '../../src/adapters/types.js'
import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createLocalEmbedder, LOCAL_EMBEDDING_MODEL} from '../../src/embeddings/local-embedder.js'
import {createSearchService} from '../../src/search/search-service.js'
import {countingEmbedder, segmentContext, segmentPayloads} from './segments.js'

let db: Database
const resources = (): AdapterResources => testResources({database: async () => db})

async function generator(config: Record<string, unknown> = {}, embedder = countingEmbedder(createLocalEmbedder())) {
  return {adapter: await createEmbeddingGenerator(embeddingGeneratorConfig.parse({provider: 'local', ...config}), resources(), {embedder}), embedder}
}

async function run(payloads: Record<string, unknown>[], config: Record<string, unknown> = {}) {
  const {adapter, embedder} = await generator(config)
  const contexts = payloads.map((payload) => segmentContext(payload))
  const outputs = await Promise.all(contexts.map((context) => adapter.process(context))) as AdapterOutput[]
  await adapter.close?.()
  return {outputs, contexts, calls: embedder.calls}
}

type Row = {id: string; document_id: string; segment_index: number; content_hash: string; document_content_hash: string; vector: string}
async function rows(): Promise<Row[]> {
  return (await db.query<Row>(`SELECT id, document_id, segment_index, content_hash, document_content_hash, embedding::text AS vector
    FROM embeddings ORDER BY document_id, segment_index`)).rows
}

const DOC_A = ['Install the CLI with npm and check the version.', 'Configure the database URL in the settings file.', 'Run a pipeline from a YAML file.']
const DOC_B = ['Vectors are stored per embedding slot.', 'Keyword search uses PostgreSQL full-text search.']

beforeAll(async () => {
  db = await openDatabase('memory://', {pgliteWorker: false})
  await migrate(db)
})
afterAll(async () => { await db?.close() })
beforeEach(async () => { await db.query('DELETE FROM embeddings; DELETE FROM embedding_slots') })

describe('embedding_generator on PGlite', () => {
  it('embeds every segment in one batched call and emits the slot and row id', async () => {
    const {outputs, contexts, calls} = await run([...segmentPayloads('https://a.test/', DOC_A), ...segmentPayloads('https://b.test/', DOC_B)])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toHaveLength(5)
    const stored = await rows()
    expect(stored).toHaveLength(5)
    expect(contexts.reduce((sum, context) => sum + context.embedded, 0)).toBe(5)
    expect(outputs[0].payload).toMatchObject({document_id: 'https://a.test/', embedding_slot: LOCAL_EMBEDDING_MODEL, embedding_id: stored[0].id})
    const meta = await db.query<{metadata: Record<string, unknown>; heading_path: unknown}>('SELECT metadata, heading_path FROM embeddings WHERE id = $1', [stored[0].id])
    expect(meta.rows[0]).toEqual({metadata: expect.objectContaining({url: 'https://a.test/', title: 'Title of https://a.test/', segment_count: 3}), heading_path: ['Guide', 'Part 0']})
  })

  it('re-run with the same hashes makes no embedding call and leaves the vectors as they were', async () => {
    const payloads = [...segmentPayloads('https://a.test/', DOC_A), ...segmentPayloads('https://b.test/', DOC_B)]
    const first = await run(payloads)
    const before = await rows()
    const second = await run(payloads)
    expect(second.calls).toEqual([])
    expect(second.contexts.map((context) => context.skipped)).toEqual(payloads.map(() => ['unchanged']))
    expect(second.contexts.every((context) => context.embedded === 0)).toBe(true)
    expect(await rows()).toEqual(before)
    expect(second.outputs.map((output) => output.payload.embedding_id)).toEqual(first.outputs.map((output) => output.payload.embedding_id))
  })

  it('replaces a changed document: embeds only the changed segments and deletes the ones it no longer has', async () => {
    await run([...segmentPayloads('https://a.test/', DOC_A), ...segmentPayloads('https://b.test/', DOC_B)])
    const b = (await rows()).filter((row) => row.document_id === 'https://b.test/')
    const changed = segmentPayloads('https://a.test/', [DOC_A[0], 'Configure the database URL with an environment variable.'])
    const {calls, contexts} = await run(changed)
    // What is embedded is the passage with where it sits: the page title and its heading path.
    expect(calls).toEqual([['Title of https://a.test/\nGuide / Part 1\nConfigure the database URL with an environment variable.']])
    expect(contexts[0].skipped).toEqual(['unchanged'])
    const after = await rows()
    const a = after.filter((row) => row.document_id === 'https://a.test/')
    expect(a.map((row) => row.segment_index)).toEqual([0, 1])
    expect(new Set(a.map((row) => row.document_content_hash))).toEqual(new Set([changed[0].document_content_hash]))
    expect(a[1].content_hash).toBe(changed[1].content_hash)
    expect(after.filter((row) => row.document_id === 'https://b.test/')).toEqual(b)
  })

  it('a re-embedded changed page leaves one row and one set of keyword terms per segment, none of its old text', async () => {
    const search = createSearchService({database: db, embedderFor: () => createLocalEmbedder()})
    await run([...segmentPayloads('https://a.test/', DOC_A), ...segmentPayloads('https://b.test/', DOC_B)])
    expect((await search.keyword('settings')).hits.map((hit) => [hit.document_id, hit.segment_index])).toEqual([['https://a.test/', 1]])
    const changed = segmentPayloads('https://a.test/', [DOC_A[0], 'Configure the database URL with an environment variable.'])
    // Written twice, as a redelivered message would be: the second write replaces the first.
    await run(changed)
    await db.query('UPDATE embeddings SET content_hash = $1 WHERE document_id = $2 AND segment_index = 1', ['stale', 'https://a.test/'])
    await run(changed)

    const keys = await db.query<{document_id: string; segment_index: number; copies: number}>(
      'SELECT document_id, segment_index, count(*)::int AS copies FROM embeddings GROUP BY 1, 2 ORDER BY 1, 2')
    expect(keys.rows).toEqual([
      {document_id: 'https://a.test/', segment_index: 0, copies: 1}, {document_id: 'https://a.test/', segment_index: 1, copies: 1},
      {document_id: 'https://b.test/', segment_index: 0, copies: 1}, {document_id: 'https://b.test/', segment_index: 1, copies: 1},
    ])
    expect((await search.keyword('settings')).hits).toEqual([])
    const hits = (await search.keyword('environment variable')).hits
    expect(hits.map((hit) => [hit.document_id, hit.segment_index, hit.text])).toEqual([['https://a.test/', 1, changed[1].text]])
    const terms = await db.query<{rows: number; stale: number; pending: number}>(
      `SELECT count(*)::int AS rows, count(*) FILTER (WHERE t.tsv <> to_tsvector(e.language, e.text))::int AS stale,
              (SELECT count(*)::int FROM embedding_terms_pending) AS pending
         FROM embeddings e JOIN embedding_terms t USING (id)`)
    expect(terms.rows[0]).toEqual({rows: 4, stale: 0, pending: 0})
    expect((await db.query<{n: number}>('SELECT count(*)::int AS n FROM embedding_terms')).rows[0].n).toBe(4)
  })

  it('re-embeds a segment whose heading or page title changed though its text did not, and stores the new heading path', async () => {
    await run(segmentPayloads('https://a.test/', DOC_A))
    const before = await rows()
    const renamed = segmentPayloads('https://a.test/', DOC_A).map((payload, index) =>
      index === 1 ? {...payload, heading_path: ['Guide', 'Settings'], document_content_hash: 'v2'} : {...payload, document_content_hash: 'v2'})
    const second = await run(renamed)
    expect(second.calls).toEqual([['Title of https://a.test/\nGuide / Settings\nConfigure the database URL in the settings file.']])
    expect(second.contexts.map((context) => context.skipped)).toEqual([['unchanged'], [], ['unchanged']])
    const after = await rows()
    expect(after[1]!.vector).not.toBe(before[1]!.vector)
    expect(after[0]!.vector).toBe(before[0]!.vector)
    const {rows: [stored]} = await db.query<{heading_path: unknown}>('SELECT heading_path FROM embeddings WHERE id = $1', [after[1]!.id])
    expect(stored!.heading_path).toEqual(['Guide', 'Settings'])

    const retitled = renamed.map((payload) => ({...payload, title: 'A new page title', document_content_hash: 'v3'}))
    const third = await run(retitled)
    expect(third.calls).toHaveLength(1)
    expect(third.calls[0]).toHaveLength(3)
    expect(third.contexts.every((context) => context.embedded === 1)).toBe(true)
  })

  it('without a segment count, deletes the rows of the document\'s older version', async () => {
    const strip = (payloads: Record<string, unknown>[]) => payloads.map(({segment_count: _count, ...rest}) => rest)
    await run(strip(segmentPayloads('https://a.test/', DOC_A)))
    await run(strip(segmentPayloads('https://a.test/', ['A completely new first segment.'])))
    expect((await rows()).map((row) => row.segment_index)).toEqual([0])
  })

  it('replaces the rows of an older document id from the same source (content-derived ids)', async () => {
    await run(segmentPayloads('id-of-version-1', DOC_A, {source_url: 'file:///docs/a.md'}))
    await run(segmentPayloads('id-of-version-2', DOC_B, {source_url: 'file:///docs/a.md'}))
    await run(segmentPayloads('https://b.test/', DOC_B))
    expect((await rows()).map((row) => `${row.document_id}#${row.segment_index}`))
      .toEqual(['https://b.test/#0', 'https://b.test/#1', 'id-of-version-2#0', 'id-of-version-2#1'])
  })

  it('handles segments one at a time and the same segment twice in a batch', async () => {
    const {adapter, embedder} = await generator({batch_size: 2})
    const payloads = segmentPayloads('https://a.test/', DOC_A)
    for (const payload of payloads) await adapter.process(segmentContext(payload))
    expect(embedder.calls).toHaveLength(3)
    await db.query('DELETE FROM embeddings')
    const twice = [payloads[0], payloads[0], payloads[1]]
    const outputs = await Promise.all(twice.map((payload) => adapter.process(segmentContext(payload)))) as AdapterOutput[]
    expect(outputs[0].payload.embedding_id).toBe(outputs[1].payload.embedding_id)
    expect(await rows()).toHaveLength(2)
  })

  it('writes into the configured slot and refuses a slot that holds other dimensions', async () => {
    await run(segmentPayloads('https://a.test/', DOC_A), {slot: 'docs'})
    const {adapter} = await generator({slot: 'docs'}, countingEmbedder(createLocalEmbedder({dimensions: 64})))
    await expect(adapter.process(segmentContext(segmentPayloads('https://a.test/', DOC_A)[0])))
      .rejects.toMatchObject({code: 'EMBEDDING_SLOT_MISMATCH'})
  })

  it('rejects a message without text, document_id or segment_index as PAYLOAD_FIELD_MISSING', async () => {
    const {adapter} = await generator()
    await expect(adapter.process(segmentContext({text: 'x', segment_index: 0}))).rejects.toMatchObject({code: 'PAYLOAD_FIELD_MISSING'})
  })
})

describe('embedding_generator on a database created for this run', () => {
  /** A fresh in-memory database whose statements are recorded. */
  async function newDatabase() {
    const inner = await openDatabase('memory://', {pgliteWorker: false})
    await migrate(inner)
    const statements: string[] = []
    const wrapped: Database = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'query') return (sql: string, params?: unknown[]) => { statements.push(sql); return target.query(sql, params) }
        if (property === 'copyFrom') {
          return (copyTarget: Parameters<Database['copyFrom']>[0], data: Parameters<Database['copyFrom']>[1]) => {
            statements.push(`COPY ${copyTarget.table}`)
            return target.copyFrom(copyTarget, data)
          }
        }
        if (property === 'transaction') statements.push('BEGIN')
        if (property === 'transaction') {
          return (fn: (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) => Promise<unknown>) => target.transaction((tx) => fn({
            query: (sql, params) => { statements.push(sql); return tx.query(sql, params) },
            copyFrom: (copyTarget, data) => { statements.push(`COPY ${copyTarget.table}`); return tx.copyFrom(copyTarget, data) },
          }))
        }
        return Reflect.get(target, property, receiver)
      },
    })
    return {db: wrapped, inner, statements}
  }

  async function firstRun(database: Database, payloads: Record<string, unknown>[]) {
    const adapter = await createEmbeddingGenerator(embeddingGeneratorConfig.parse({provider: 'local'}),
      testResources({database: async () => database, newDatabase: true}), {embedder: createLocalEmbedder()})
    const contexts = payloads.map((payload) => segmentContext(payload))
    const outputs = await Promise.all(contexts.map((context) => adapter.process(context))) as AdapterOutput[]
    await adapter.close?.()
    return {outputs, contexts}
  }

  const readRows = async (database: Database) => (await database.query<{document_id: string; segment_index: number; text: string}>(
    'SELECT document_id, segment_index, text FROM embeddings ORDER BY document_id, segment_index')).rows

  it('writes new segments without looking up, deleting or cleaning up, and they are searchable like any others', async () => {
    const {db: database, inner, statements} = await newDatabase()
    try {
      await firstRun(database, [...segmentPayloads('https://a.test/', DOC_A), ...segmentPayloads('https://b.test/', DOC_B)])
      expect((await readRows(inner)).map((row) => row.text)).toEqual([...DOC_A, ...DOC_B])
      expect(statements.filter((sql) => /DELETE|CROSS JOIN LATERAL/.test(sql))).toEqual([])
      // Past the store's opening (the slot, the vector column's type), one COPY per batch and nothing
      // else: no transaction, no separate pending-terms insert.
      expect(statements.filter((sql) => sql !== 'COPY embeddings' && !/embedding_slots|pg_attribute/.test(sql))).toEqual([])
      expect(statements).toContain('COPY embeddings')
      // The keyword side was told about every row (by the COPY's trigger).
      expect((await inner.query<{n: number}>('SELECT count(*)::int AS n FROM embedding_terms_pending')).rows[0]!.n).toBe(5)
    } finally {
      await inner.close()
    }
  })

  it('takes the ordinary path for a segment written before in the run and for a new version of a document', async () => {
    const {db: database, inner, statements} = await newDatabase()
    try {
      await firstRun(database, segmentPayloads('https://a.test/', DOC_A))
      // Redelivered: same rows, found unchanged.
      const again = await firstRun(database, segmentPayloads('https://a.test/', DOC_A))
      expect(again.contexts.every((context) => context.skipped.includes('unchanged'))).toBe(true)
      // A shorter new version of the document: its third row must go.
      const shorter = ['Install the CLI with pnpm.', 'Configure the database URL in the settings file.']
      await firstRun(database, segmentPayloads('https://a.test/', shorter))
      expect((await readRows(inner)).map((row) => row.text)).toEqual(shorter)
      expect(statements.some((sql) => sql.includes('DELETE'))).toBe(true)
    } finally {
      await inner.close()
    }
  })

  it('falls back to the ordinary path when a row exists that this process did not write', async () => {
    const {db: database, inner} = await newDatabase()
    try {
      // Written by another process (a plain writer on the same tables), unknown to this one.
      const other = await createEmbeddingGenerator(embeddingGeneratorConfig.parse({provider: 'local'}),
        testResources({database: async () => inner, newDatabase: false}), {embedder: createLocalEmbedder()})
      const otherPayloads = segmentPayloads('https://a.test/', ['An old first segment.', 'An old second one.', 'And a third.', 'And a fourth.'])
      await Promise.all(otherPayloads.map((payload) => other.process(segmentContext(payload))))
      await other.close?.()
      const {contexts} = await firstRun(database, segmentPayloads('https://a.test/', DOC_A))
      expect(contexts.every((context) => context.embedded === 1)).toBe(true)
      // Replaced in place, and the old fourth row cleaned up.
      expect((await readRows(inner)).map((row) => row.text)).toEqual(DOC_A)
    } finally {
      await inner.close()
    }
  })
})
