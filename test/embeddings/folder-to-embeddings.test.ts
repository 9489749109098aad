import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {openDatabase} from '../../src/db/open-database.js'
import {silentLogger} from '../../src/logging/logger.js'
import {startRun} from '../../src/runtime/run-pipeline.js'

const PIPELINE = fileURLToPath(new URL('../../config/pipelines/folder-to-embeddings.yaml', import.meta.url))

/** A markdown file of `sections` sections, long enough for several segments. */
function markdown(topic: string, sections: number): string {
  return Array.from({length: sections}, (_, i) => `## ${topic} part ${i}\n\n` +
    Array.from({length: 40}, (_, j) => `Sentence ${j} about ${topic} in part ${i}, with enough words to count.`).join(' ')).join('\n\n')
}

describe('folder-to-embeddings (shipped pipeline, embedded database)', () => {
  let work: string
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'factflow-embed-'))
  })
  afterAll(async () => { await rm(work, {recursive: true, force: true}) })

  async function run(docs: string) {
    const handle = await startRun({
      pipelinePath: PIPELINE, env: {DOCS_DIR: docs, FACTFLOW_FILES_ROOT: work}, databaseUrl: path.join(work, 'db'),
      storageUri: `file://${path.join(work, 'storage')}`,
    }, {logger: silentLogger, registry: builtinAdapterRegistry()})
    return handle.summary
  }

  it('embeds every segment once, skips them all on a re-run, and replaces a changed file\'s rows', async () => {
    const docs = path.join(work, 'docs')
    await mkdir(docs)
    for (const topic of ['queues', 'storage', 'lineage']) await writeFile(path.join(docs, `${topic}.md`), `# ${topic}\n\n${markdown(topic, 6)}\n`)
    const first = await run(docs)
    expect(first.status).toBe('completed')
    const segments = first.routes.embed.received
    expect(segments).toBeGreaterThan(0)
    expect(first.routes.embed.embedded).toBe(segments)

    const second = await run(docs)
    expect(second.routes.embed).toMatchObject({received: segments, unchanged: segments, embedded: 0})

    // storage.md is rewritten and shrinks (same path, so the same document id): its new segments are
    // embedded, its surplus old rows deleted; the other files are unchanged.
    await writeFile(path.join(docs, 'storage.md'), `# storage\n\n${markdown('archives', 2)}\n`)
    const third = await run(docs)
    expect(third.routes.embed.embedded).toBeGreaterThan(0)
    expect(third.routes.embed.unchanged).toBeGreaterThan(0)

    const db = await openDatabase(path.join(work, 'db'), {pgliteWorker: false})
    try {
      const {rows} = await db.query<{source: string; ids: number; n: number; distinct_indexes: number}>(
        `SELECT source, count(DISTINCT document_id)::int AS ids, count(*)::int AS n, count(DISTINCT segment_index)::int AS distinct_indexes
           FROM embeddings GROUP BY source`)
      expect(rows.every((row) => row.ids === 1 && row.n === row.distinct_indexes)).toBe(true)
      const total = rows.reduce((sum, row) => sum + row.n, 0)
      expect(total).toBe(third.routes.embed.received)
      expect(rows).toHaveLength(3)
    } finally {
      await db.close()
    }
  }, 180_000)
})
