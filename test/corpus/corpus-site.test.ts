import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {sitemapParserConfig} from '../../src/adapters/web/catalog.js'
import {createAdapter as createSitemapParser} from '../../src/adapters/web/sitemap-parser.js'
import {createWebHarness, single} from '../adapters/web/helpers.js'
import {corpusAvailable, startCorpusSite, type CorpusSite} from '../helpers/corpus-site.js'

const available = await corpusAvailable()

describe.skipIf(!available)('corpus site (Debian manuals on 127.0.0.1)', () => {
  let site: CorpusSite
  const include = ['postgresql/sql-vacuum.html', 'python/library/json.html']
  beforeAll(async () => {
    site = await startCorpusSite({limit: 40, include})
  })
  afterAll(() => site?.close())

  it('serves at most the page limit, the included pages first, from both manuals', () => {
    expect(site.pages).toHaveLength(40)
    expect(site.pages.slice(0, 2).map((page) => page.id)).toEqual(include)
    expect(new Set(site.pages.map((page) => page.manual))).toEqual(new Set(['python', 'postgresql']))
    expect(site.pages.some((page) => /genindex|bookindex|contents\.html/.test(page.id))).toBe(false)
  })

  it('picks the same sample on every start', async () => {
    const again = await startCorpusSite({limit: 40, include})
    try {
      expect(again.pages.map((page) => page.id)).toEqual(site.pages.map((page) => page.id))
    } finally {
      await again.close()
    }
  })

  it('serves each page as the HTML file on disk', async () => {
    const response = await fetch(`${site.url}/python/library/json.html`)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await response.text()).toContain('JSON encoder and decoder')
  })

  it('answers 404 for a missing file and for a path that climbs out of the manual', async () => {
    expect((await fetch(`${site.url}/python/no-such-page.html`)).status).toBe(404)
    expect((await fetch(`${site.url}/python/..%2f..%2fpasswd`)).status).toBe(404)
    expect((await fetch(`${site.url}/perl/index.html`)).status).toBe(404)
  })

  it('lists the same pages through the sitemap and through the sitemap index', async () => {
    const harness = await createWebHarness()
    try {
      const parser = createSitemapParser(sitemapParserConfig.parse({}), harness.resources)
      const flat = single(await parser.process(harness.context({sitemap_url: site.sitemapUrl})))
      const indexed = single(await parser.process(harness.context({sitemap_url: site.sitemapIndexUrl})))
      const urls = site.pages.map((page) => page.url)
      expect(flat.payload.urls).toEqual(urls)
      expect(new Set(indexed.payload.urls as string[])).toEqual(new Set(urls))
    } finally {
      await harness.close()
    }
  })

  it('refuses a page that is not in the manuals', async () => {
    await expect(startCorpusSite({include: ['python/nope.html']})).rejects.toThrow(/not in the corpus/)
  })
})
