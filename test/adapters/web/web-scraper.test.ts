import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {webScraperConfig} from '../../../src/adapters/web/catalog.js'
import {INLINE_BODY_MAX_BYTES} from '../../../src/adapters/web/page-output.js'
import {createAdapter} from '../../../src/adapters/web/web-scraper.js'
import {ExternalError, UnavailableError, UserInputError} from '../../../src/errors/index.js'
import {CHARSET_TEXT, startTestSite, type TestSite} from '../../helpers/test-site.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

describe('web_scraper', () => {
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

  const scraper = (config: Record<string, unknown> = {}) => createAdapter(webScraperConfig.parse(config), harness.resources)
  const scrape = async (path: string, config: Record<string, unknown> = {}) =>
    single(await scraper(config).process(harness.context({url: site.url + path})))

  describe('fetching a page', () => {
    it('emits the page inline with status, final URL, content type, title and useful headers', async () => {
      const output = await scrape('/a')
      expect(output.payload).toEqual({
        url: `${site.url}/a`, final_url: `${site.url}/a`, status: 200, content_type: 'text/html; charset=utf-8',
        charset: 'UTF-8', title: 'Page A', content_length: expect.any(Number),
        html: expect.stringContaining('<p>Alpha</p>'),
        headers: {'content-type': 'text/html; charset=utf-8', etag: expect.stringMatching(/^"[0-9a-f]{16}"$/), 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT'},
      })
      expect(output.metadata).toEqual({source_url: `${site.url}/a`, document_id: `${site.url}/a`, final_url: `${site.url}/a`, title: 'Page A'})
    })

    it('sends factflow/<version> as user agent by default, plus the configured headers', async () => {
      const {version} = (await import('../../../package.json', {with: {type: 'json'}})).default
      const output = await scrape('/echo', {headers: {'Accept-Language': 'de', 'X-Token': 't'}})
      expect(JSON.parse(output.payload.text as string)).toMatchObject({'user-agent': `factflow/${version}`, 'accept-language': 'de', 'x-token': 't'})
    })

    it('sends the configured user_agent instead of the default', async () => {
      const output = await scrape('/echo', {user_agent: 'my-bot/2.0'})
      expect(JSON.parse(output.payload.text as string)['user-agent']).toBe('my-bot/2.0')
    })

    it(`writes a page over ${INLINE_BODY_MAX_BYTES / 1024} KiB to storage under the message key instead of inlining it`, async () => {
      const output = await scrape('/big')
      const key = 'executions/exec-1/crawl/fetch/msg-1.html'
      expect(output.payload).toMatchObject({storage_key: key, title: 'Big page', status: 200})
      expect(output.payload).not.toHaveProperty('html')
      const stored = await harness.storage.get(key)
      expect(stored.body.byteLength).toBe(output.payload.content_length)
      expect(stored.body.byteLength).toBeGreaterThan(INLINE_BODY_MAX_BYTES)
      expect(stored.metadata).toMatchObject({source_url: `${site.url}/big`, content_type: 'text/html; charset=utf-8', title: 'Big page', message_id: 'msg-1'})
    })

    it('stores a binary body as received, never inline', async () => {
      const output = await scrape('/file.pdf')
      expect(output.payload).toMatchObject({storage_key: 'executions/exec-1/crawl/fetch/msg-1.pdf', content_type: 'application/pdf'})
      const stored = await harness.storage.get('executions/exec-1/crawl/fetch/msg-1.pdf')
      expect(stored.body.subarray(0, 5).toString('latin1')).toBe('%PDF-')
      expect(stored.metadata.content_type).toBe('application/pdf')
    })

    it('emits other text types as text', async () => {
      expect((await scrape('/text.txt')).payload).toMatchObject({text: 'plain text body', content_type: 'text/plain; charset=utf-8'})
    })
  })

  describe('charsets', () => {
    it.each([
      ['/latin1-header', CHARSET_TEXT.latin1, 'windows-1252'],
      ['/latin1-meta', CHARSET_TEXT.latin1, 'windows-1252'],
      ['/cp1252-header', CHARSET_TEXT.cp1252, 'windows-1252'],
      ['/cp1252-meta', CHARSET_TEXT.cp1252, 'windows-1252'],
      ['/sjis-header', CHARSET_TEXT.sjis, 'Shift_JIS'],
      ['/utf8-bom', CHARSET_TEXT.latin1, 'UTF-8'],
    ])('decodes %s to the right characters', async (path, text, charset) => {
      const {payload} = await scrape(path)
      expect(payload.html).toContain(`<p>${text}</p>`)
      expect(payload.charset).toBe(charset)
      if (path !== '/utf8-bom') expect(payload.title).toBe(text)
    })
  })

  describe('redirects', () => {
    it('follows a 301 then a 302 and reports the final URL', async () => {
      const {payload} = await scrape('/redirect/301')
      expect(payload).toMatchObject({url: `${site.url}/redirect/301`, final_url: `${site.url}/a`, status: 200, title: 'Page A'})
    })

    it('emits the redirect itself with its Location when follow_redirects is false', async () => {
      const before = site.requests('/redirect/302')
      const {payload} = await scrape('/redirect/301', {follow_redirects: false})
      expect(payload).toMatchObject({status: 301, final_url: `${site.url}/redirect/301`, headers: {location: '/redirect/302'}})
      expect(site.requests('/redirect/302')).toBe(before)
    })

    it('fails terminally with REDIRECT_LOOP after visiting each page of a loop once', async () => {
      const [a, b] = [site.requests('/redirect/loop-a'), site.requests('/redirect/loop-b')]
      const error = await failure(scrape('/redirect/loop-a'))
      expect(error).toBeInstanceOf(ExternalError)
      expect(error).toMatchObject({code: 'REDIRECT_LOOP', retryable: false})
      expect([site.requests('/redirect/loop-a') - a, site.requests('/redirect/loop-b') - b]).toEqual([1, 1])
    })

    it('follows ten redirects and refuses the eleventh', async () => {
      expect((await scrape('/redirect/chain/10')).payload.final_url).toBe(`${site.url}/a`)
      const landed = site.requests('/a')
      await expect(scrape('/redirect/chain/11')).rejects.toMatchObject({code: 'TOO_MANY_REDIRECTS', retryable: false})
      expect(site.requests('/a')).toBe(landed)
    })

    it('refuses a redirect to a scheme other than http(s)', async () => {
      await expect(scrape('/redirect/to-ftp')).rejects.toMatchObject({code: 'REDIRECT_INVALID', retryable: false})
    })
  })

  describe('size cap', () => {
    it('stops reading a streamed body past max_bytes and fails terminally with PAGE_TOO_LARGE', async () => {
      const started = Date.now()
      const error = await failure(scrape('/huge', {max_bytes: 100_000}))
      expect(error).toBeInstanceOf(ExternalError)
      expect(error).toMatchObject({code: 'PAGE_TOO_LARGE', retryable: false, hint: expect.stringContaining('max_bytes')})
      expect(Date.now() - started).toBeLessThan(2000)
      await expect.poll(() => site.abortedResponses('/huge')).toBe(1)
    })

    it('refuses a body whose Content-Length is over max_bytes without reading it', async () => {
      await expect(scrape('/huge-declared', {max_bytes: 100_000})).rejects.toMatchObject({code: 'PAGE_TOO_LARGE', retryable: false})
      await expect.poll(() => site.abortedResponses('/huge-declared')).toBe(1)
    })
  })

  describe('error classification', () => {
    it.each([['/error', 500], ['/unavailable', 503]])('fails retryably on %s (HTTP %i)', async (path, status) => {
      const error = await failure(scrape(path))
      expect(error).toBeInstanceOf(ExternalError)
      expect(error).toMatchObject({code: `HTTP_${status}`, retryable: true, details: {status}})
    })

    it.each([['/missing-page', 404], ['/forbidden', 403]])('fails terminally on %s (HTTP %i) with a hint', async (path, status) => {
      const error = await failure(scrape(path))
      expect(error).toBeInstanceOf(ExternalError)
      expect(error).toMatchObject({code: `HTTP_${status}`, retryable: false, hint: expect.any(String)})
    })

    it('fails retryably with HTTP_TIMEOUT when the page does not answer within the timeout', async () => {
      const started = Date.now()
      const error = await failure(scrape('/slow?ms=5000&case=timeout', {timeout: 0.3}))
      expect(error).toBeInstanceOf(UnavailableError)
      expect(error).toMatchObject({code: 'HTTP_TIMEOUT', retryable: true})
      expect(Date.now() - started).toBeLessThan(2000)
    })

    it('fails retryably with HTTP_UNREACHABLE when nothing listens', async () => {
      const adapter = scraper({respect_robots_txt: false})
      await expect(adapter.process(harness.context({url: 'http://127.0.0.1:9/'}))).rejects.toMatchObject({code: 'HTTP_UNREACHABLE', retryable: true})
    })

    it.each([[{}], [{url: 'no url'}], [{url: 'file:///etc/passwd'}]])('fails terminally on a payload without a usable url (%j)', async (payload) => {
      const error = await failure(scraper().process(harness.context(payload)))
      expect(error).toBeInstanceOf(UserInputError)
      expect(error).toMatchObject({retryable: false})
    })
  })

  describe('cancellation', () => {
    it('aborts a slow fetch quickly when the context signal fires', async () => {
      const controller = new AbortController()
      const path = '/slow?ms=10000&case=abort'
      const started = Date.now()
      const pending = scraper().process(harness.context({url: site.url + path}, {signal: controller.signal}))
      await expect.poll(() => site.requests(path)).toBe(1)
      controller.abort(new Error('cancelled by user'))
      const error = await failure(pending)
      expect(error).toMatchObject({name: 'AbortError'})
      expect(Date.now() - started).toBeLessThan(2000)
      await expect.poll(() => site.abortedResponses(path)).toBe(1)
    })

    it('does not start when the signal is already aborted', async () => {
      const controller = new AbortController()
      controller.abort()
      const error = await failure(scraper({respect_robots_txt: false}).process(harness.context({url: `${site.url}/c?case=pre-aborted`}, {signal: controller.signal})))
      expect(error).toMatchObject({name: 'AbortError'})
      expect(site.requests('/c?case=pre-aborted')).toBe(0)
    })
  })
})
