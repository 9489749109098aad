import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createEmbedder} from '../../src/embeddings/embedder.js'
import {silentLogger} from '../../src/logging/logger.js'
import {startRun, type RunSummary} from '../../src/runtime/run-pipeline.js'
import {type LabelledQuestion, recallAtK} from '../../src/search/recall-at-k.js'
import {createSearchService, type SearchHit, type SearchService} from '../../src/search/search-service.js'
import {corpusAvailable, startCorpusSite, type CorpusSite} from '../helpers/corpus-site.js'

const PIPELINE = fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const QUESTIONS = fileURLToPath(new URL('../fixtures/retrieval/questions.json', import.meta.url))
// Every labelled page plus a pseudo-random sample of the rest of both manuals as distractors.
const PAGES = 200
// A floor each search mode must keep on this corpus (measured 0.96–0.98 when this was written).
const FLOOR = 0.8

const available = await corpusAvailable()

describe.skipIf(!available)('retrieval quality over the Python and PostgreSQL manuals', () => {
  let site: CorpusSite
  let work: string
  let summary: RunSummary
  let db: Database
  let search: SearchService
  let slot: string
  let questions: LabelledQuestion[]

  beforeAll(async () => {
    questions = (JSON.parse(await readFile(QUESTIONS, 'utf8')) as {questions: LabelledQuestion[]}).questions
    site = await startCorpusSite({limit: PAGES, include: [...new Set(questions.flatMap((question) => question.pages))]})
    work = await mkdtemp(path.join(tmpdir(), 'factflow-retrieval-'))
    const handle = await startRun({
      pipelinePath: PIPELINE, env: {SITEMAP_URL: site.sitemapUrl, MAX_URLS: String(PAGES)},
      databaseUrl: path.join(work, 'db'), storageUri: `file://${path.join(work, 'storage')}`,
    }, {logger: silentLogger, registry: builtinAdapterRegistry()})
    summary = await handle.summary
    db = await openDatabase(path.join(work, 'db'))
    search = createSearchService({database: db, embedderFor: (info) => createEmbedder('local', {model: info.model, dimensions: info.dimensions})})
    slot = (await search.slots())[0]!.slot
  }, 600_000)
  afterAll(async () => {
    await db?.close()
    await site?.close()
    if (work) await rm(work, {recursive: true, force: true})
  })

  /** The page of a hit: the path of the URL it was crawled from, as the questions name pages. */
  const pageOf = (hit: SearchHit) => new URL(hit.document_id).pathname.slice(1)

  it('ingests every served page through the shipped sitemap-to-embeddings pipeline', async () => {
    expect(summary.status).toBe('completed')
    expect(summary.routes.markdown).toMatchObject({received: PAGES, completed: PAGES, dead_lettered: 0})
    expect(summary.routes.embed.embedded).toBe(summary.routes.embed.received)
    const [info] = await search.slots()
    expect(info).toMatchObject({documents: PAGES, model: 'factflow-hash-v2'})
  })

  it('finds an answering page in the top 5 for most questions, and hybrid search is at least as good as the better of vector and keyword', async () => {
    const vector = await recallAtK(questions, async (q, k) => (await search.vector(q, {slot, limit: k})).hits, pageOf)
    const keyword = await recallAtK(questions, async (q, k) => (await search.keyword(q, {limit: k})).hits, pageOf)
    const hybrid = await recallAtK(questions, async (q, k) => (await search.hybrid(q, {slot, limit: k})).hits, pageOf)
    const bm25 = await recallAtK(questions, async (q, k) => (await search.bm25(q, {slot, limit: k})).hits, pageOf)
    const figures = `recall@5 vector ${vector.recall.toFixed(3)}, keyword ${keyword.recall.toFixed(3)}, bm25 ${bm25.recall.toFixed(3)}, hybrid ${hybrid.recall.toFixed(3)}`
    console.log(figures)
    for (const result of [vector, keyword, bm25, hybrid]) expect(result.recall, figures).toBeGreaterThanOrEqual(FLOOR)
    expect(hybrid.recall, `${figures}; hybrid missed: ${hybrid.misses.map((miss) => miss.q).join(' | ')}`)
      .toBeGreaterThanOrEqual(Math.max(vector.recall, keyword.recall))
  }, 120_000)
})
