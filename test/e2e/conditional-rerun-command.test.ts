import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {runCli} from '../helpers/cli.js'
import {startTestSite, type TestSite, type TestSiteOptions} from '../helpers/test-site.js'

// The shipped sitemap-to-embeddings shape, small: crawl and store, then markdown segments, then vectors.
const PIPELINE = `version: "1.0"
name: site-to-embeddings
error_handling: {max_retries: 1, retry_delay_seconds: 0.1, dead_letter_queue: /queue/dlq}
routes:
  crawl:
    inbound: {queue: /queue/crawl}
    adapters:
      - type: sitemap_parser
        config: {exclude: ["\\\\.pdf$"]}
      - type: url_expander
      - type: web_scraper
      - type: web_content_storage
    outbound: [{queue: /queue/pages}]
  pages:
    inbound: {queue: /queue/pages, concurrency: 2}
    adapters:
      - type: storage_retriever
      - type: html_to_markdown
      - type: smart_segmenter
        config: {max_tokens: 128, min_tokens: 8}
      - type: segment_publisher
    outbound: [{queue: /queue/embed}]
  embed:
    inbound: {queue: /queue/embed, concurrency: 8}
    adapters:
      - type: embedding_generator
        config: {provider: local}
init_message:
  route: crawl
  payload: {sitemap_url: "http://placeholder/sitemap.xml"}
`

/** The HTML pages the sitemap index lists (its PDF is excluded). */
const PAGES = ['/', '/a', '/b', '/c', '/docs/1', '/docs/2', '/docs/3']

interface Run {
  summary: {execution_id: string; routes: Record<string, Record<string, number>>}
  /** Objects the run stored (sidecars left out). */
  stored: string[]
  /** Lineage rows of the run: `adapter_name stage_status` → count. */
  lineage: Record<string, number>
}

describe.each([
  ['a site that sends ETag and Last-Modified', {}],
  ['a site that sends no validators', {validators: 'none'}],
] as const)('factflow run again over %s (built binary)', (_name, siteOptions: TestSiteOptions) => {
  let site: TestSite
  let work: string
  beforeAll(async () => {
    site = await startTestSite(siteOptions)
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-rerun-cli-'))
    await writeFile(path.join(work, 'pipeline.yaml'), PIPELINE)
  })
  afterAll(async () => {
    await site.close()
    await rm(work, {recursive: true, force: true})
  })

  async function run(pipelineFile = 'pipeline.yaml'): Promise<Run> {
    const result = await runCli(['run', pipelineFile, '--json', '--set', `sitemap_url=${site.url}/sitemap_index.xml`],
      {cwd: work, timeoutMs: 150_000, env: {FACTFLOW_SETTINGS: undefined}})
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout) as Run['summary']
    const folder = path.join(work, 'output', 'storage', 'executions', summary.execution_id)
    const files = await readdir(folder, {recursive: true}).catch(() => [] as string[])
    const stored = files.filter((file) => /\.[a-z]+$/.test(file) && !file.endsWith('.meta.json') && !file.endsWith('/'))
    const lineage = await withDatabase(async (db) => {
      const {rows} = await db.query<{adapter_name: string; stage_status: string; n: number}>(
        'SELECT adapter_name, stage_status, count(*)::int AS n FROM lineage WHERE execution_id = $1 GROUP BY 1, 2', [summary.execution_id])
      return Object.fromEntries(rows.map((row) => [`${row.adapter_name} ${row.stage_status}`, row.n]))
    })
    return {summary, stored, lineage}
  }

  async function withDatabase<T>(use: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase(path.join(work, 'output', 'db'), {pgliteWorker: false})
    try {
      return await use(db)
    } finally {
      await db.close()
    }
  }

  const fullFetches = () => Object.fromEntries(PAGES.map((page) => [page, site.requests(page) - site.notModified(page)]))

  it('ends an unchanged page\'s chain at the crawl once a run completed it, and runs a changed page through again', async () => {
    const first = await run()
    expect(first.summary.routes.pages).toMatchObject({received: PAGES.length, unchanged: 0})
    const segments = first.summary.routes.embed!.received!
    expect(first.summary.routes.embed).toMatchObject({embedded: segments})
    expect(first.stored).toHaveLength(PAGES.length)

    // The first run completed every page with this pipeline: nothing after the crawl runs again.
    const second = await run()
    expect(second.summary.routes.crawl).toMatchObject({received: 1, completed: 1, unchanged: 1, ended_unchanged: PAGES.length})
    expect(second.summary.routes.pages).toMatchObject({received: 0})
    expect(second.summary.routes.embed).toMatchObject({received: 0, embedded: 0})
    expect(second.stored).toEqual([])
    expect(second.lineage).not.toHaveProperty('html_to_markdown completed')
    expect(second.lineage).not.toHaveProperty('html_to_markdown skipped')
    if (siteOptions.validators === 'none') {
      // Fetched in full again: the content hash alone tells the page is unchanged.
      expect(fullFetches()).toEqual(Object.fromEntries(PAGES.map((page) => [page, 2])))
      expect(second.lineage).toMatchObject({'web_scraper completed': PAGES.length, 'web_content_storage skipped': PAGES.length})
    } else {
      for (const page of PAGES) {
        expect(site.notModified(page), page).toBe(1)
        expect(site.lastHeaders(page)!['if-none-match'], page).toMatch(/^"[0-9a-f]{16}"$/)
      }
      expect(fullFetches()).toEqual(Object.fromEntries(PAGES.map((page) => [page, 1])))
      expect(second.lineage).toMatchObject({'web_scraper skipped': PAGES.length})
      expect(second.lineage).not.toHaveProperty('web_content_storage skipped')
    }

    site.setPage('/a', '<!doctype html><html><head><title>Page A, revised</title></head><body><h1>Page A</h1><p>Alpha has a new paragraph about zebras.</p></body></html>')
    const third = await run()
    expect(fullFetches()['/a']).toBe(siteOptions.validators === 'none' ? 3 : 2)
    expect(third.summary.routes.crawl).toMatchObject({ended_unchanged: PAGES.length - 1})
    expect(third.summary.routes.pages).toMatchObject({received: 1, unchanged: 0})
    expect(third.summary.routes.embed!.embedded).toBeGreaterThan(0)
    expect(third.stored).toHaveLength(1)
    expect(third.lineage).toMatchObject({'html_to_markdown completed': 1})
    expect(third.lineage).not.toHaveProperty('html_to_markdown skipped')

    // A run that did not complete (killed: marked interrupted) finished nothing: the page it last
    // ran flows on and each later stage reuses its stored result; the others still end at the crawl.
    await withDatabase((db) => db.query("UPDATE executions SET status = 'interrupted' WHERE id = $1", [third.summary.execution_id]))
    const fourth = await run()
    expect(fourth.summary.routes.pages).toMatchObject({received: 1, completed: 1, unchanged: 1})
    expect(fourth.lineage).toMatchObject({'html_to_markdown skipped': 1, 'smart_segmenter skipped': 1})
    // The fourth run completed it: the fifth ends it at the crawl too.
    expect((await run()).summary.routes.pages).toMatchObject({received: 0})

    // Failed attempts that a retry then completed leave the run clean...
    await withDatabase((db) => db.query(
      "UPDATE executions SET summary = jsonb_set(summary, '{messages,failed}', '3') WHERE id = $1", [fourth.summary.execution_id]))
    expect((await run()).summary.routes.pages).toMatchObject({received: 0})
    // ...one dead-lettered message does not: its pages flow on in the next run.
    await withDatabase((db) => db.query(
      "UPDATE executions SET summary = jsonb_set(summary, '{messages,dead_lettered}', '1') WHERE id = $1", [fourth.summary.execution_id]))
    expect((await run()).summary.routes.pages).toMatchObject({received: 1, unchanged: 1})
  }, 400_000)

  it('runs every unchanged page through again when the pipeline after the crawl changed, reusing what it can', async () => {
    await writeFile(path.join(work, 'pipeline-2.yaml'), PIPELINE.replace('max_tokens: 128', 'max_tokens: 96'))
    const changed = await run('pipeline-2.yaml')
    expect(changed.summary.routes.pages).toMatchObject({received: PAGES.length, completed: PAGES.length})
    expect(changed.lineage).toMatchObject({'html_to_markdown skipped': PAGES.length, 'smart_segmenter completed': PAGES.length})
    // Then that pipeline has finished them too.
    expect((await run('pipeline-2.yaml')).summary.routes.pages).toMatchObject({received: 0})
    // And going back to the first pipeline: its last clean runs named the other pipeline, so pages flow on, reusing.
    const back = await run()
    expect(back.summary.routes.pages).toMatchObject({received: PAGES.length, unchanged: PAGES.length})
  }, 400_000)
})
