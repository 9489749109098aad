import {existsSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Adapter, AdapterOutput} from '../../../src/adapters/types.js'
import {webCrawlerConfig} from '../../../src/adapters/web/catalog.js'
import {CHROMIUM_INSTALL_HINT, CHROMIUM_PATH} from '../../../src/adapters/web/chromium.js'
import {createAdapter} from '../../../src/adapters/web/web-crawler.js'
import {ExternalError, UnavailableError} from '../../../src/errors/index.js'
import {startTestSite, type TestSite} from '../../helpers/test-site.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

// Chromium is a system package (Debian `chromium`); CI installs it, so there a missing one fails.
const runnable = existsSync(CHROMIUM_PATH) || process.env.CI === 'true'
if (!runnable) console.warn(`web_crawler tests skipped: ${CHROMIUM_PATH} is absent. ${CHROMIUM_INSTALL_HINT}`)

describe.skipIf(!runnable)('web_crawler', {timeout: 60_000}, () => {
  let site: TestSite
  let harness: WebHarness
  const adapters: Adapter[] = []
  beforeAll(async () => {
    site = await startTestSite()
    harness = await createWebHarness()
  })
  afterAll(async () => {
    await Promise.all(adapters.map((adapter) => adapter.close?.()))
    await harness?.close()
    await site?.close()
  })

  const crawler = (config: Record<string, unknown> = {}, h: WebHarness = harness) => {
    const adapter = createAdapter(webCrawlerConfig.parse(config), h.resources)
    adapters.push(adapter)
    return adapter
  }
  const urlsOf = (result: unknown) => (result as AdapterOutput[]).map((out) => [out.payload.url, out.payload.depth])

  describe('rendering one page', () => {
    let adapter: Adapter
    beforeAll(() => {
      adapter = crawler({wait_for_selector: '#ready', timeout: 5})
    })

    it('emits the DOM after scripts ran and the awaited selector appeared', async () => {
      const output = single(await adapter.process(harness.context({url: `${site.url}/js`}, {messageId: 'r1'})))
      expect(output.payload).toMatchObject({
        url: `${site.url}/js`, final_url: `${site.url}/js`, status: 200, title: 'Script page', depth: 0,
        content_type: 'text/html; charset=utf-8', html: expect.stringContaining('<p id="ready">Rendered by script</p>'),
      })
      expect(output.metadata).toMatchObject({source_url: `${site.url}/js`, title: 'Script page'})
    })

    it('reports the final URL after redirects', async () => {
      const plain = crawler()
      const output = single(await plain.process(harness.context({url: `${site.url}/redirect/301`}, {messageId: 'r2'})))
      expect(output.payload).toMatchObject({final_url: `${site.url}/a`, status: 200, title: 'Page A'})
    })

    it('fails terminally on a 404 and retryably on a 500', async () => {
      const plain = crawler()
      const notFound = await failure(plain.process(harness.context({url: `${site.url}/nothing-here`}, {messageId: 'r3'})))
      expect(notFound).toBeInstanceOf(ExternalError)
      expect(notFound).toMatchObject({code: 'HTTP_404', retryable: false})
      await expect(plain.process(harness.context({url: `${site.url}/error`}, {messageId: 'r4'}))).rejects.toMatchObject({code: 'HTTP_500', retryable: true})
    })

    it('fails retryably with HTTP_TIMEOUT when the selector never appears', async () => {
      const impatient = crawler({wait_for_selector: '#never', timeout: 1})
      const error = await failure(impatient.process(harness.context({url: `${site.url}/a`}, {messageId: 'r5'})))
      expect(error).toBeInstanceOf(UnavailableError)
      expect(error).toMatchObject({code: 'HTTP_TIMEOUT', retryable: true})
    })

    it('aborts a slow page load quickly when the signal fires', async () => {
      const controller = new AbortController()
      const path = '/slow?ms=20000&case=crawler-abort'
      const pending = adapter.process(harness.context({url: site.url + path}, {messageId: 'r6', signal: controller.signal}))
      await expect.poll(() => site.requests(path), {timeout: 10_000}).toBe(1)
      const started = Date.now()
      controller.abort(new Error('cancelled'))
      expect(await failure(pending)).toMatchObject({name: 'AbortError'})
      expect(Date.now() - started).toBeLessThan(2000)
    })

    it('does not render a page robots.txt disallows', async () => {
      const context = harness.context({url: `${site.url}/private/secret`}, {messageId: 'r7'})
      expect(await adapter.process(context)).toBeNull()
      expect(context.skipped).toBe('robots_disallowed')
      expect(site.requests('/private/secret')).toBe(0)
    })
  })

  describe('following links', () => {
    it('fans out one page per link within max_depth, same origin only, robots respected', async () => {
      const execution = await createWebHarness()
      try {
        const result = await crawler({max_depth: 1}, execution).process(execution.context({url: `${site.url}/`}, {messageId: 'c1'}))
        expect(urlsOf(result)).toEqual([[`${site.url}/`, 0], [`${site.url}/a`, 1], [`${site.url}/b`, 1]])
        const next = await createWebHarness()
        try {
          const two = await crawler({max_depth: 2}, next).process(next.context({url: `${site.url}/`}, {messageId: 'c2'}))
          expect(urlsOf(two)).toEqual([[`${site.url}/`, 0], [`${site.url}/a`, 1], [`${site.url}/b`, 1], [`${site.url}/c`, 2]])
        } finally {
          await next.close()
        }
      } finally {
        await execution.close()
      }
    })

    it('does not render again a page another message of the execution already crawled', async () => {
      const execution = await createWebHarness()
      try {
        const adapter = crawler({max_depth: 1}, execution)
        await adapter.process(execution.context({url: `${site.url}/a`}, {messageId: 'd1'}))
        const second = await adapter.process(execution.context({url: `${site.url}/b`}, {messageId: 'd2'}))
        expect(urlsOf(second)).toEqual([[`${site.url}/b`, 0]])
      } finally {
        await execution.close()
      }
    })
  })
})
