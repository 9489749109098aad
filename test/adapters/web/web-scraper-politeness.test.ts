import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {webScraperConfig} from '../../../src/adapters/web/catalog.js'
import {createAdapter} from '../../../src/adapters/web/web-scraper.js'
import {ExternalError} from '../../../src/errors/index.js'
import {startTestSite, type TestSite} from '../../helpers/test-site.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

describe('web_scraper politeness', () => {
  let site: TestSite
  let harness: WebHarness
  beforeAll(async () => {
    site = await startTestSite()
  })
  afterAll(() => site.close())
  beforeEach(async () => {
    harness = await createWebHarness()
  })
  afterEach(() => harness.close())

  const scraper = (config: Record<string, unknown> = {}, h: WebHarness = harness) => createAdapter(webScraperConfig.parse(config), h.resources)

  describe('robots.txt', () => {
    it('does not fetch a disallowed URL: ends the chain, marks the stage skipped and logs why', async () => {
      const context = harness.context({url: `${site.url}/private/secret`})
      expect(await scraper().process(context)).toBeNull()
      expect(context.skipped).toBe('robots_disallowed')
      expect(site.requests('/private/secret')).toBe(0)
      expect(harness.logger.entries).toContainEqual(expect.objectContaining({
        level: 'info', message: expect.stringContaining('robots.txt disallows'), fields: expect.objectContaining({url: `${site.url}/private/secret`}),
      }))
    })

    it('does not follow a redirect into a disallowed path', async () => {
      const context = harness.context({url: `${site.url}/redirect/to-private`})
      expect(await scraper().process(context)).toBeNull()
      expect(context.skipped).toBe('robots_disallowed')
      expect(site.requests('/private/secret')).toBe(0)
    })

    it('fetches a disallowed URL when respect_robots_txt is false, without reading robots.txt', async () => {
      const other = await startTestSite()
      try {
        const output = single(await scraper({respect_robots_txt: false}).process(harness.context({url: `${other.url}/private/secret`})))
        expect(output.payload).toMatchObject({status: 200, title: 'Secret'})
        expect(other.requests('/robots.txt')).toBe(0)
      } finally {
        await other.close()
      }
    })

    it('reads robots.txt once per origin for every scraper of the execution', async () => {
      const other = await startTestSite()
      try {
        for (const path of ['/a', '/b', '/c', '/private/secret']) {
          await scraper().process(harness.context({url: other.url + path}))
        }
        expect(other.requests('/robots.txt')).toBe(1)
        const nextExecution = await createWebHarness()
        await scraper({}, nextExecution).process(nextExecution.context({url: `${other.url}/a`}))
        await nextExecution.close()
        expect(other.requests('/robots.txt')).toBe(2)
      } finally {
        await other.close()
      }
    })

    it('allows everything when robots.txt is missing (404)', async () => {
      const open = await startTestSite({robots: null})
      try {
        expect(single(await scraper().process(harness.context({url: `${open.url}/private/secret`}))).payload.status).toBe(200)
      } finally {
        await open.close()
      }
    })

    it('fails retryably without fetching the page while robots.txt answers 5xx, and asks again next time', async () => {
      const broken = await startTestSite({robotsStatus: 500})
      try {
        const error = await failure(scraper().process(harness.context({url: `${broken.url}/a`})))
        expect(error).toMatchObject({code: 'ROBOTS_UNAVAILABLE', retryable: true})
        expect(broken.requests('/a')).toBe(0)
        await failure(scraper().process(harness.context({url: `${broken.url}/a`})))
        expect(broken.requests('/robots.txt')).toBe(2)
      } finally {
        await broken.close()
      }
    })

    it('matches its rules against our user agent', async () => {
      const picky = await startTestSite({robots: 'User-agent: factflow\nDisallow: /b\n\nUser-agent: *\nDisallow: /\n'})
      try {
        expect(single(await scraper().process(harness.context({url: `${picky.url}/a`}))).payload.status).toBe(200)
        expect(await scraper().process(harness.context({url: `${picky.url}/b`}))).toBeNull()
        expect(await scraper({user_agent: 'otherbot/1.0'}).process(harness.context({url: `${picky.url}/a`}))).toBeNull()
      } finally {
        await picky.close()
      }
    })

    it('spaces requests to a host by its Crawl-delay', async () => {
      const slowSite = await startTestSite({robots: 'User-agent: *\nCrawl-delay: 0.5\n'})
      try {
        const adapter = scraper()
        // Measured on our side: the server's arrival times would include the first request's own latency.
        const started = Date.now()
        await adapter.process(harness.context({url: `${slowSite.url}/a`}))
        await adapter.process(harness.context({url: `${slowSite.url}/b`}))
        expect(Date.now() - started).toBeGreaterThanOrEqual(495)
      } finally {
        await slowSite.close()
      }
    })
  })

  describe('rate limit', () => {
    it('fails retryably on 429 and sends the retry only after Retry-After (seconds)', async () => {
      const path = '/limited?key=seconds&retry=1'
      const error = await failure(scraper().process(harness.context({url: site.url + path})))
      expect(error).toBeInstanceOf(ExternalError)
      expect(error).toMatchObject({code: 'HTTP_429', retryable: true, details: {status: 429, retry_after_ms: 1000}})
      // The engine's retry may come sooner than Retry-After (its own back-off); another scraper instance of the execution waits.
      const output = single(await scraper().process(harness.context({url: site.url + path})))
      expect(output.payload.status).toBe(200)
      const [first, second] = site.requestTimes(path)
      expect(second! - first!).toBeGreaterThanOrEqual(950)
    })

    it('honours a Retry-After given as an HTTP date', async () => {
      const path = '/limited-date?key=date'
      const error = await failure(scraper().process(harness.context({url: site.url + path})))
      const waitMs = (error as ExternalError).details!.retry_after_ms as number
      expect(waitMs).toBeGreaterThan(500)
      expect(single(await scraper().process(harness.context({url: site.url + path}))).payload.status).toBe(200)
      const [first, second] = site.requestTimes(path)
      expect(second! - first!).toBeGreaterThanOrEqual(waitMs - 50)
    })

    it('holds every request to the paused host, not only the URL that got the 429', async () => {
      const paused = await startTestSite()
      try {
        await failure(scraper().process(harness.context({url: `${paused.url}/limited?key=host&retry=1`})))
        const limitedAt = paused.requestTimes('/limited?key=host&retry=1')[0]!
        await scraper().process(harness.context({url: `${paused.url}/c`}))
        expect(paused.requestTimes('/c')[0]! - limitedAt).toBeGreaterThanOrEqual(950)
      } finally {
        await paused.close()
      }
    })

    it('fails fast with RATE_LIMITED when the host asks to wait longer than the timeout', async () => {
      const path = '/limited?key=long&retry=120'
      await failure(scraper({timeout: 1}).process(harness.context({url: site.url + path})))
      const started = Date.now()
      const error = await failure(scraper({timeout: 1}).process(harness.context({url: site.url + path})))
      expect(error).toMatchObject({code: 'RATE_LIMITED', retryable: true, details: {retry_after_ms: expect.any(Number)}})
      expect(Date.now() - started).toBeLessThan(5000)
      expect(site.requests(path)).toBe(1)
    })

    it('stops waiting for a paused host when the signal fires', async () => {
      const paused = await startTestSite()
      try {
        await failure(scraper().process(harness.context({url: `${paused.url}/limited?key=abort&retry=20`})))
        const controller = new AbortController()
        const pending = scraper().process(harness.context({url: `${paused.url}/a`}, {signal: controller.signal}))
        setTimeout(() => controller.abort(new Error('cancelled')), 100)
        const started = Date.now()
        expect(await failure(pending)).toMatchObject({name: 'AbortError'})
        expect(Date.now() - started).toBeLessThan(1000)
        expect(paused.requests('/a')).toBe(0)
      } finally {
        await paused.close()
      }
    })
  })
})
