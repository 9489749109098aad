import {describe, expect, it} from 'vitest'

import {parseSitemap, SitemapSyntaxError} from './sitemap-xml.js'

describe('parseSitemap', () => {
  it('lists the locs of a urlset in document order, entities decoded and trimmed', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
        <url><loc> https://example.com/a?x=1&amp;y=2 </loc><lastmod>2026-01-01</lastmod></url>
        <url><loc><![CDATA[https://example.com/b]]></loc><image:image><image:loc>https://example.com/img.png</image:loc></image:image></url>
      </urlset>`
    expect(parseSitemap(xml)).toEqual({kind: 'urlset', locs: ['https://example.com/a?x=1&y=2', 'https://example.com/b']})
  })

  it('lists the child sitemaps of a sitemap index, whatever the namespace prefix', () => {
    const xml = `<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sm:sitemap><sm:loc>https://example.com/s1.xml</sm:loc></sm:sitemap>
      <sm:sitemap><sm:loc>https://example.com/s2.xml.gz</sm:loc></sm:sitemap>
    </sm:sitemapindex>`
    expect(parseSitemap(xml)).toEqual({kind: 'sitemapindex', locs: ['https://example.com/s1.xml', 'https://example.com/s2.xml.gz']})
  })

  it('reads a plain-text sitemap, one URL per line', () => {
    expect(parseSitemap('\uFEFFhttps://example.com/a\r\nhttps://example.com/b\n\n')).toEqual({
      kind: 'text', locs: ['https://example.com/a', 'https://example.com/b'],
    })
  })

  it.each([
    ['malformed XML', '<urlset><url><loc>https://example.com/a</url></urlset>'],
    ['an unclosed root', '<urlset><url><loc>https://example.com/a</loc></url>'],
    ['an HTML page', '<!doctype html><html><body>Not found</body></html>'],
    ['an RSS feed', '<rss version="2.0"><channel></channel></rss>'],
    ['text without URLs', 'User-agent: *\nDisallow: /'],
  ])('rejects %s', (_label, text) => {
    expect(() => parseSitemap(text)).toThrow(SitemapSyntaxError)
  })
})
