import {describe, expect, it} from 'vitest'

import {webAdapters} from '../../../src/adapters/web/catalog.js'

describe('web adapter catalog', () => {
  it.each(webAdapters.map((definition) => [definition.type, definition] as const))('%s loads an implementation with createAdapter', async (_type, definition) => {
    expect(definition.load).toBeTypeOf('function')
    const module = await definition.load!()
    expect(module.createAdapter).toBeTypeOf('function')
  })

  it('keeps the defaults of docs/reference/adapters.md', () => {
    const defaults = Object.fromEntries(webAdapters.map((definition) => [definition.type, definition.configSchema.parse({})]))
    expect(defaults).toEqual({
      sitemap_parser: {max_urls: 1000, timeout: 30},
      url_expander: {},
      web_scraper: {timeout: 30, follow_redirects: true, max_bytes: 10 * 1024 * 1024, respect_robots_txt: true, headers: {}},
      web_crawler: {timeout: 60, max_depth: 0, same_origin: true},
      web_content_storage: {extension: '.html'},
    })
  })
})
