import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {createHarness, type Harness, pipeline} from '../../helpers/engine-harness.js'
import {startTestSite, type TestSite} from '../../helpers/test-site.js'

const FAST_RETRY = {max_retries: 2, retry_delay_seconds: 0.05, backoff: 'fixed' as const, dead_letter_queue: '/queue/dlq'}

describe('web adapters in a pipeline', () => {
  let site: TestSite
  let harness: Harness | undefined
  beforeAll(async () => {
    site = await startTestSite()
  })
  afterAll(() => site.close())
  afterEach(async () => {
    await harness?.cleanup()
    harness = undefined
  })

  const crawl = (initPayload: Record<string, unknown>, first: Array<Record<string, unknown>>) => pipeline({
    version: '1.0',
    error_handling: FAST_RETRY,
    routes: {
      crawl: {inbound: {queue: '/queue/crawl'}, adapters: [...first, {type: 'url_expander'}], outbound: [{queue: '/queue/pages'}]},
      pages: {
        inbound: {queue: '/queue/pages', concurrency: 3},
        adapters: [{type: 'web_scraper', config: {timeout: 5}}, {type: 'web_content_storage'}],
      },
    },
    init_message: {route: 'crawl', payload: initPayload},
  })

  it('stores every page of a sitemap index once', async () => {
    harness = await createHarness(crawl({sitemap_url: `${site.url}/sitemap_index.xml`}, [{type: 'sitemap_parser'}]))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.pages).toMatchObject({completed: 8, dead_lettered: 0})
    // Every object of the execution: the PDF web_scraper stored is referenced, not stored again.
    const stored = await harness.storage.list(`executions/${harness.orchestrator.executionId}/`, {includeMetadata: true})
    expect(stored.objects.map((o) => o.metadata?.source_url).sort()).toEqual(
      ['/', '/a', '/b', '/c', '/docs/1', '/docs/2', '/docs/3', '/file.pdf'].map((p) => site.url + p).sort())
  })

  it('retries a 429 after its Retry-After, dead-letters a 404 and skips what robots.txt disallows', async () => {
    const urls = ['/a', '/limited?key=pipeline&retry=1', '/missing', '/private/secret', '/a'].map((p) => site.url + p)
    harness = await createHarness(crawl({urls}, []))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.pages).toMatchObject({completed: 3, dead_lettered: 1})
    const [first, second] = site.requestTimes('/limited?key=pipeline&retry=1')
    expect(second! - first!).toBeGreaterThanOrEqual(950)
    expect(site.requests('/missing')).toBe(1)
    expect(site.requests('/private/secret')).toBe(0)
    expect(harness.rows).toContainEqual(expect.objectContaining({adapter_name: 'web_scraper', stage_status: 'skipped'}))
  })
})
