import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {v7 as uuidv7} from 'uuid'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import type {AdapterOutput} from '../../../src/adapters/types.js'
import {urlExpanderConfig, webContentStorageConfig, webScraperConfig} from '../../../src/adapters/web/catalog.js'
import {createAdapter as createExpander} from '../../../src/adapters/web/url-expander.js'
import {createAdapter as createStorage} from '../../../src/adapters/web/web-content-storage.js'
import {createAdapter as createScraper} from '../../../src/adapters/web/web-scraper.js'
import {migrate} from '../../../src/db/migrate.js'
import {openDatabase} from '../../../src/db/open-database.js'
import type {Database} from '../../../src/db/types.js'
import type {FinishedWork} from '../../../src/engine/finished-work.js'
import {startTestSite, type TestSite, type TestSiteOptions} from '../../helpers/test-site.js'
import {createWebHarness, single} from './helpers.js'

/** What one run of `web_scraper → web_content_storage` did for one URL. */
interface PageRun {
  scraped: AdapterOutput
  stored: AdapterOutput
  /** `markSkipped` reasons of the two stages. */
  skipped: {scraper?: string; storage?: string}
}

describe('web_scraper and web_content_storage across runs', () => {
  let db: Database
  let root: string
  let runs: number
  beforeAll(async () => {
    db = await openDatabase('memory://', {pgliteWorker: false})
    await migrate(db)
  })
  afterAll(() => db.close())
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'factflow-rerun-'))
    runs = 0
    await db.query('DELETE FROM stage_results')
  })
  afterEach(() => rm(root, {recursive: true, force: true}))

  /** One execution: every URL through a fresh scraper and web_content_storage, over the same database and storage. */
  async function run(site: TestSite, paths: string[], options: {database?: boolean} = {}): Promise<Record<string, PageRun>> {
    const executionId = `exec-${++runs}`
    const harness = await createWebHarness({executionId, storageRoot: root, database: options.database === false ? undefined : async () => db})
    const scraper = createScraper(webScraperConfig.parse({timeout: 5}), harness.resources)
    const storage = createStorage(webContentStorageConfig.parse({}), harness.resources)
    const results: Record<string, PageRun> = {}
    try {
      for (const [i, pagePath] of paths.entries()) {
        const fetchContext = harness.context({url: site.url + pagePath}, {messageId: `m${i}`, stage: 'web_scraper'})
        const scraped = single(await scraper.process(fetchContext))
        const storeContext = harness.context(scraped.payload, {messageId: `m${i}`, stage: 'web_content_storage', metadata: scraped.metadata})
        const stored = single(await storage.process(storeContext))
        results[pagePath] = {scraped, stored, skipped: {scraper: fetchContext.skipped, storage: storeContext.skipped}}
      }
    } finally {
      await scraper.close?.()
      await storage.close?.()
      await harness.close()
    }
    return results
  }

  /** `db` counting the statements that read stage results. */
  function countingLookups(): {database: () => Promise<Database>; lookups: () => number} {
    let lookups = 0
    const counting = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown
        return (sql: string, params?: unknown[]) => {
          if (sql.includes('FROM stage_results r')) lookups++
          return target.query(sql, params)
        }
      },
    })
    return {database: async () => counting, lookups: () => lookups}
  }

  async function objects(): Promise<string[]> {
    const harness = await createWebHarness({storageRoot: root})
    const listed = await harness.storage.list('executions/')
    return listed.objects.map((object) => object.key)
  }

  describe.each([['both'], ['etag'], ['last-modified']] as const)('a site that sends validators (%s)', (validators) => {
    let site: TestSite
    beforeEach(async () => {
      site = await startTestSite({validators})
    })
    afterEach(() => site.close())

    it('asks conditionally the second time, gets 304 and passes the first run\'s artefact on without storing anything', async () => {
      const first = (await run(site, ['/a']))['/a']!
      expect(first.skipped).toEqual({scraper: undefined, storage: undefined})
      expect(site.lastHeaders('/a')).not.toHaveProperty('if-none-match')
      expect(await objects()).toEqual(['executions/exec-1/crawl/web_content_storage/m0.html'])

      const second = (await run(site, ['/a']))['/a']!
      const sent = site.lastHeaders('/a')!
      if (validators !== 'last-modified') expect(sent['if-none-match']).toBe((first.scraped.payload.headers as Record<string, string>).etag)
      if (validators !== 'etag') expect(sent['if-modified-since']).toBe('Thu, 01 Jan 2026 00:00:00 GMT')
      expect(site.notModified('/a')).toBe(1)
      expect(second.skipped).toEqual({scraper: 'unchanged', storage: 'unchanged'})
      expect(second.scraped.payload).toMatchObject({
        url: `${site.url}/a`, final_url: `${site.url}/a`, status: 304, unchanged: true, title: 'Page A',
        storage_key: first.stored.payload.storage_key, content_hash: first.stored.payload.content_hash,
      })
      expect(second.scraped.payload).not.toHaveProperty('html')
      expect(second.stored.payload).toEqual(first.stored.payload)
      expect(second.stored.metadata).toEqual(first.stored.metadata)
      expect(await objects()).toHaveLength(1)
    })
  })

  describe('a site that sends ETag and Last-Modified', () => {
    let site: TestSite
    beforeEach(async () => {
      site = await startTestSite()
    })
    afterEach(() => site.close())

    it('fetches and stores a changed page again, and asks with its new validators next time', async () => {
      const first = await run(site, ['/a', '/b'])
      site.setPage('/a', '<!doctype html><html><head><title>Page A v2</title></head><body><p>Alpha, revised</p></body></html>')
      const second = await run(site, ['/a', '/b'])
      expect(second['/a']!.scraped.payload).toMatchObject({status: 200, title: 'Page A v2', html: expect.stringContaining('revised')})
      expect(second['/a']!.skipped).toEqual({scraper: undefined, storage: undefined})
      expect(second['/a']!.stored.payload.storage_key).toBe('executions/exec-2/crawl/web_content_storage/m0.html')
      expect(second['/a']!.stored.payload.content_hash).not.toBe(first['/a']!.stored.payload.content_hash)
      expect(second['/b']!.skipped).toEqual({scraper: 'unchanged', storage: 'unchanged'})

      const third = await run(site, ['/a'])
      expect(site.lastHeaders('/a')!['if-none-match']).toBe((second['/a']!.scraped.payload.headers as Record<string, string>).etag)
      expect(third['/a']!.scraped.payload).toMatchObject({status: 304, storage_key: second['/a']!.stored.payload.storage_key})
      expect(await objects()).toHaveLength(3)
    })

    it('fetches in full when the stored artefact is gone from storage', async () => {
      const first = await run(site, ['/a'])
      const harness = await createWebHarness({storageRoot: root})
      await harness.storage.delete(first['/a']!.stored.payload.storage_key as string)
      const second = await run(site, ['/a'])
      expect(site.lastHeaders('/a')).not.toHaveProperty('if-none-match')
      expect(second['/a']!.scraped.payload).toMatchObject({status: 200})
      expect(second['/a']!.stored.payload.storage_key).toBe('executions/exec-2/crawl/web_content_storage/m0.html')
    })

    it('fetches in full when the stored artefact came back short (a power loss during the run that stored it)', async () => {
      const first = await run(site, ['/a', '/b'])
      const key = first['/a']!.stored.payload.storage_key as string
      // What a power loss can leave of an object renamed into place but never synced: an empty file.
      await writeFile(path.join(root, key), '')
      const second = await run(site, ['/a', '/b'])
      expect(second['/a']!.scraped.payload).toMatchObject({status: 200, html: expect.stringContaining('Alpha')})
      expect(second['/a']!.stored.payload.storage_key).toBe('executions/exec-2/crawl/web_content_storage/m0.html')
      expect(second['/a']!.skipped).toEqual({scraper: undefined, storage: undefined})
      // The intact page still costs a 304.
      expect(second['/b']!.skipped).toEqual({scraper: 'unchanged', storage: 'unchanged'})
    })

    it('sends the validators only to the URL the page was found at, not to the redirects before it', async () => {
      const first = await run(site, ['/redirect/301'])
      expect(first['/redirect/301']!.stored.payload.final_url).toBe(`${site.url}/a`)
      const second = await run(site, ['/redirect/301'])
      expect(site.lastHeaders('/redirect/301')).not.toHaveProperty('if-none-match')
      expect(site.lastHeaders('/a')).toHaveProperty('if-none-match')
      expect(second['/redirect/301']!.scraped.payload).toMatchObject({status: 304, final_url: `${site.url}/a`, storage_key: first['/redirect/301']!.stored.payload.storage_key})
    })

    it('stores a page over the inline limit once: web_content_storage references what web_scraper spilled', async () => {
      const first = await run(site, ['/big', '/file.pdf'])
      expect(first['/big']!.stored.payload.storage_key).toBe(first['/big']!.scraped.payload.storage_key)
      expect(first['/file.pdf']!.stored.payload.storage_key).toBe(first['/file.pdf']!.scraped.payload.storage_key)
      expect(await objects()).toEqual(['executions/exec-1/crawl/web_scraper/m0.html', 'executions/exec-1/crawl/web_scraper/m1.pdf'])
      const harness = await createWebHarness({storageRoot: root})
      const stored = await harness.storage.get(first['/big']!.stored.payload.storage_key as string)
      expect(first['/big']!.stored.payload).toMatchObject({content_length: stored.body.byteLength, content_hash: stored.metadata.sha256, title: 'Big page'})
    })

    it('looks up what earlier runs stored for a sitemap\'s URLs in one statement, ahead of the fetches', async () => {
      const paths = ['/a', '/b', '/c', '/docs/1', '/docs/2']
      await run(site, paths)
      const counting = countingLookups()
      const harness = await createWebHarness({executionId: 'exec-9', storageRoot: root, database: counting.database})
      const expander = createExpander(urlExpanderConfig.parse({}), harness.resources)
      const scraper = createScraper(webScraperConfig.parse({timeout: 5}), harness.resources)
      try {
        const expanded = await expander.process(harness.context({urls: paths.map((p) => site.url + p)}, {stage: 'url_expander'}))
        const outputs = expanded as AdapterOutput[]
        for (const [i, output] of outputs.entries()) {
          // One at a time, as a route of concurrency 1 would: without the prefetch, one statement each.
          const scraped = single(await scraper.process(harness.context(output.payload, {messageId: `m${i}`, stage: 'web_scraper'})))
          expect(scraped.payload.status).toBe(304)
        }
      } finally {
        await expander.close?.()
        await scraper.close?.()
        await harness.close()
      }
      expect(counting.lookups()).toBe(1)
    })

    it('works without a database, as before: full fetches, each page stored once', async () => {
      await run(site, ['/a'], {database: false})
      const second = await run(site, ['/a'], {database: false})
      expect(site.lastHeaders('/a')).not.toHaveProperty('if-none-match')
      expect(second['/a']!.scraped.payload).toMatchObject({status: 200})
      expect(await objects()).toHaveLength(2)
    })
  })

  describe('ending an unchanged page\'s chain (an earlier run finished it)', () => {
    let site: TestSite
    beforeEach(async () => {
      site = await startTestSite()
      await db.query('DELETE FROM executions')
    })
    afterEach(() => site.close())

    const FINGERPRINT = 'f'.repeat(64)
    const finishedWork = (fingerprint: string | undefined): FinishedWork => ({fingerprint: async () => fingerprint, mayEndAfter: () => true})

    /** One page through the scraper as execution `id` with `fingerprint`, the execution then recorded as completed cleanly. */
    async function runAs(fingerprint: string | undefined): Promise<{ended: boolean; record: Record<string, unknown>}> {
      const id = uuidv7()
      const harness = await createWebHarness({executionId: id, storageRoot: root, database: async () => db, finishedWork: finishedWork(fingerprint)})
      const scraper = createScraper(webScraperConfig.parse({timeout: 5}), harness.resources)
      const storage = createStorage(webContentStorageConfig.parse({}), harness.resources)
      let ended: boolean
      try {
        const scraped = await scraper.process(harness.context({url: `${site.url}/a`}, {stage: 'web_scraper'}))
        ended = scraped === null
        if (!ended) await storage.process(harness.context(single(scraped).payload, {stage: 'web_content_storage', metadata: single(scraped).metadata}))
      } finally {
        await scraper.close?.()
        await storage.close?.()
        await harness.close()
      }
      await db.query(`INSERT INTO executions (id, config_name, config_snapshot, status, summary) VALUES ($1, 'p', '{}', 'completed', $2::jsonb)`,
        [id, JSON.stringify({routes: {crawl: {failed: 0, dead_lettered: 0, elements_failed: 0}}, messages: {failed: 0, dead_lettered: 0}})])
      const {rows} = await db.query<{output: string}>("SELECT output FROM stage_results WHERE adapter_type = 'web_content_storage'")
      return {ended, record: JSON.parse(rows[0]!.output) as Record<string, unknown>}
    }

    it('ends it only when the record names a clean earlier run with this fingerprint; a run without one leaves none behind', async () => {
      const first = await runAs(FINGERPRINT)
      expect(first.ended).toBe(false)
      expect(first.record).toMatchObject({pipeline: FINGERPRINT})
      // A run that cannot know its fingerprint does not end it, and its claim carries no fingerprint
      // (not the earlier run's under its own id)...
      const unknown = await runAs(undefined)
      expect(unknown.ended).toBe(false)
      expect(unknown.record).not.toHaveProperty('pipeline')
      expect(unknown.record.execution_id).not.toBe(first.record.execution_id)
      // ...so the next run with the fingerprint runs it through again, then the one after ends it.
      expect((await runAs(FINGERPRINT)).ended).toBe(false)
      expect((await runAs(FINGERPRINT)).ended).toBe(true)
      expect(site.notModified('/a')).toBe(3)
    })
  })

  describe('a site without validators', () => {
    let site: TestSite
    const options: TestSiteOptions = {validators: 'none'}
    beforeEach(async () => {
      site = await startTestSite(options)
    })
    afterEach(() => site.close())

    it('fetches in full but stores nothing again: the same bytes reference the first run\'s artefact', async () => {
      const first = await run(site, ['/a', '/big'])
      const second = await run(site, ['/a', '/big'])
      expect(site.lastHeaders('/a')).not.toHaveProperty('if-none-match')
      expect(site.lastHeaders('/a')).not.toHaveProperty('if-modified-since')
      expect(site.notModified('/a')).toBe(0)
      for (const page of ['/a', '/big']) {
        expect(second[page]!.scraped.payload.status).toBe(200)
        expect(second[page]!.skipped.storage).toBe('unchanged')
        expect(second[page]!.stored.payload).toEqual(first[page]!.stored.payload)
      }
      // The spilled page is recognised before it is written: web_scraper references it too.
      expect(second['/big']!.scraped.payload).toMatchObject({unchanged: true, storage_key: first['/big']!.stored.payload.storage_key})
      expect(await objects()).toHaveLength(2)
    })
  })
})
