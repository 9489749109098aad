import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {sitemapParserConfig} from '../../../src/adapters/web/catalog.js'
import {createAdapter} from '../../../src/adapters/web/sitemap-parser.js'
import {ExternalError, NotFoundError, UnavailableError, UserInputError} from '../../../src/errors/index.js'
import {startTestSite, type TestSite} from '../../helpers/test-site.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

describe('sitemap_parser', () => {
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

  const parse = async (path: string, config: Record<string, unknown> = {}) => {
    const adapter = createAdapter(sitemapParserConfig.parse(config), harness.resources)
    return single(await adapter.process(harness.context({sitemap_url: site.url + path})))
  }
  const pages = (...paths: string[]) => paths.map((p) => site.url + p)

  it('lists the URLs of a plain XML sitemap with their count', async () => {
    const {payload} = await parse('/sitemap-pages.xml')
    expect(payload).toEqual({
      sitemap_url: `${site.url}/sitemap-pages.xml`,
      urls: pages('/', '/a', '/b', '/docs/1', '/docs/2', '/file.pdf'),
      count: 6,
      truncated: false,
    })
  })

  it('follows a sitemap index into a plain and a gzipped sitemap, de-duplicating URLs', async () => {
    const {payload} = await parse('/sitemap_index.xml')
    expect(payload.urls).toEqual(pages('/', '/a', '/b', '/docs/1', '/docs/2', '/file.pdf', '/c', '/docs/3'))
    expect(payload.count).toBe(8)
    expect(site.requests('/sitemap-more.xml.gz')).toBeGreaterThan(0)
  })

  it('keeps only URLs matching an include pattern and drops those matching an exclude pattern', async () => {
    const {payload} = await parse('/sitemap_index.xml', {include: ['/docs/', '/a$'], exclude: ['/docs/2$']})
    expect(payload.urls).toEqual(pages('/a', '/docs/1', '/docs/3'))
  })

  it('stops at max_urls and says the list was truncated', async () => {
    const {payload} = await parse('/sitemap_index.xml', {max_urls: 3})
    expect(payload).toMatchObject({urls: pages('/', '/a', '/b'), count: 3, truncated: true})
  })

  it('is not truncated when exactly max_urls URLs match', async () => {
    const {payload} = await parse('/sitemap-pages.xml', {max_urls: 6})
    expect(payload).toMatchObject({count: 6, truncated: false})
  })

  it('reads each sitemap once when an index lists itself (cycles end)', async () => {
    const before = site.requests('/sitemap-loop.xml')
    const {payload} = await parse('/sitemap-loop.xml')
    expect(payload.count).toBe(8)
    expect(site.requests('/sitemap-loop.xml') - before).toBe(1)
  })

  it('follows nested indexes up to five levels and reports deeper ones as failed', async () => {
    expect((await parse('/sitemap-deep-5.xml')).payload.count).toBe(6)
    const {payload} = await parse('/sitemap-deep-6.xml')
    expect(payload.count).toBe(0)
    expect(payload.failed_sitemaps).toEqual([expect.objectContaining({url: `${site.url}/sitemap-deep-1.xml`, code: 'SITEMAP_TOO_DEEP'})])
  })

  it('reads a text sitemap and a sitemap sent with gzip content-encoding', async () => {
    expect((await parse('/sitemap.txt')).payload.urls).toEqual(pages('/a', '/b'))
    expect((await parse('/sitemap-encoded.xml')).payload.urls).toEqual(pages('/a'))
  })

  it('skips a missing nested sitemap with a warning and still lists the others', async () => {
    const {payload} = await parse('/sitemap-with-missing.xml')
    expect(payload.count).toBe(6)
    expect(payload.failed_sitemaps).toEqual([expect.objectContaining({url: `${site.url}/gone.xml`, code: 'SITEMAP_NOT_FOUND'})])
    expect(harness.logger.entries).toContainEqual(expect.objectContaining({level: 'warn', message: 'nested sitemap skipped'}))
  })

  it('fails terminally with SITEMAP_NOT_FOUND and a hint when the sitemap is a 404', async () => {
    const error = await failure(parse('/no-such-sitemap.xml'))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({code: 'SITEMAP_NOT_FOUND', retryable: false, hint: expect.stringContaining('robots.txt')})
  })

  it('fails terminally with SITEMAP_HTTP_403 when the site refuses it', async () => {
    await expect(parse('/forbidden')).rejects.toMatchObject({code: 'SITEMAP_HTTP_403', retryable: false})
  })

  it.each([['malformed XML', '/sitemap-broken.xml'], ['an HTML page', '/sitemap-html.xml']])('fails terminally with SITEMAP_INVALID for %s', async (_label, path) => {
    const error = await failure(parse(path))
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'SITEMAP_INVALID', retryable: false, hint: expect.any(String)})
  })

  it('fails retryably on a 5xx and succeeds on the next attempt', async () => {
    const error = await failure(parse('/sitemap-flaky.xml?key=s1'))
    expect(error).toBeInstanceOf(ExternalError)
    expect(error).toMatchObject({code: 'HTTP_503', retryable: true})
    expect((await parse('/sitemap-flaky.xml?key=s1')).payload.count).toBe(1)
  })

  it('fails retryably when the sitemap does not answer within the timeout', async () => {
    const started = Date.now()
    const error = await failure(parse('/slow?ms=5000', {timeout: 0.3}))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error).toMatchObject({code: 'HTTP_TIMEOUT', retryable: true})
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('fails retryably when nothing listens at the address', async () => {
    const adapter = createAdapter(sitemapParserConfig.parse({}), harness.resources)
    const error = await failure(adapter.process(harness.context({sitemap_url: 'http://127.0.0.1:9/sitemap.xml'})))
    expect(error).toMatchObject({code: 'HTTP_UNREACHABLE', retryable: true})
  })

  it.each([[{}], [{sitemap_url: 'not a url'}], [{sitemap_url: 'ftp://example.com/sitemap.xml'}]])('rejects a payload without a usable sitemap_url (%j)', async (payload) => {
    const adapter = createAdapter(sitemapParserConfig.parse({}), harness.resources)
    const error = await failure(adapter.process(harness.context(payload)))
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({retryable: false, code: expect.stringMatching(/^(PAYLOAD_FIELD_MISSING|URL_INVALID)$/)})
  })
})
