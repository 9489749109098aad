import {describe, expect, it} from 'vitest'

import {allowedValues, didYouMean, nearestNames} from './suggest.js'

const TYPES = ['sitemap_parser', 'url_expander', 'web_scraper', 'web_crawler', 'web_content_storage', 'html_to_markdown']

describe('nearestNames', () => {
  it('finds a name one typo away', () => {
    expect(nearestNames('web_scrapper', TYPES)[0]).toBe('web_scraper')
  })

  it('treats dashes as underscores and ignores case', () => {
    expect(nearestNames('Web-Scraper', TYPES)[0]).toBe('web_scraper')
  })

  it('leaves out names clearly worse than the best match', () => {
    expect(nearestNames('web_scrapper', TYPES)).toEqual(['web_scraper'])
  })

  it('suggests nothing when no name is close', () => {
    expect(nearestNames('translator', TYPES)).toEqual([])
    expect(didYouMean('zzz', TYPES)).toBeUndefined()
  })

  it('ignores very long inputs (bounded cost on hostile input)', () => {
    expect(nearestNames(`web_scraper${'x'.repeat(100)}`, TYPES)).toEqual([])
  })
})

describe('didYouMean and allowedValues', () => {
  it('formats one or two names', () => {
    expect(didYouMean('inbund', ['inbound', 'outbound'])).toBe('did you mean `inbound`?')
    expect(didYouMean('web_crawle', TYPES, 2)).toBe('did you mean `web_crawler`?')
    expect(didYouMean('max_url', ['max_urls', 'max_uri'], 2)).toBe('did you mean `max_urls` or `max_uri`?')
  })

  it('lists allowed values', () => {
    expect(allowedValues(['fixed', 'exponential'])).toBe('allowed: `fixed`, `exponential`')
  })
})
