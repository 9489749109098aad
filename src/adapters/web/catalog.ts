import {z} from 'zod'

import {defineAdapter} from '../types.js'

/** A list of regular expressions, each checked to compile (so a bad pattern fails validation, E303). */
const regexList = z.array(z.string().refine((pattern) => {
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}, 'not a valid regular expression'))

const seconds = (fallback: number) => z.number().positive().max(3600).default(fallback)

export const sitemapParserConfig = z.strictObject({
  max_urls: z.int().min(1).max(10_000_000).default(1000).describe('Stop after this many URLs (over all nested sitemaps)'),
  include: regexList.optional().describe('Keep only URLs matching one of these regular expressions'),
  exclude: regexList.optional().describe('Drop URLs matching any of these regular expressions'),
  timeout: seconds(30).describe('Per-request timeout in seconds'),
})

export const urlExpanderConfig = z.strictObject({
  max_urls: z.int().min(1).max(10_000_000).optional().describe('Emit at most this many URLs per message (default: all)'),
})

export const webScraperConfig = z.strictObject({
  timeout: seconds(30).describe('Per-request timeout in seconds'),
  follow_redirects: z.boolean().default(true).describe('Follow HTTP redirects (the final URL is emitted as final_url)'),
  max_bytes: z.int().min(1).max(1024 * 1024 * 1024).default(10 * 1024 * 1024).describe('Refuse bodies larger than this (terminal error)'),
  user_agent: z.string().min(1).optional().describe('User-Agent header (default: factflow/<version>)'),
  respect_robots_txt: z.boolean().default(true).describe('Skip URLs that robots.txt disallows for our user agent'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers'),
})

export const webCrawlerConfig = z.strictObject({
  wait_for_selector: z.string().min(1).optional().describe('CSS selector to wait for before reading the rendered page'),
  timeout: seconds(60).describe('Page load timeout in seconds'),
  max_depth: z.int().min(0).max(10).default(0).describe('Follow links this many levels deep (0: only the given URL)'),
  same_origin: z.boolean().default(true).describe('Follow only links on the same origin'),
})

export const webContentStorageConfig = z.strictObject({
  extension: z.string().regex(/^\.[A-Za-z0-9]{1,16}$/).default('.html').describe('File extension of the stored body'),
})

export const webAdapters = [
  defineAdapter({
    type: 'sitemap_parser',
    family: 'web',
    summary: 'Fetches a sitemap (XML, gzip, nested indexes) and lists its URLs, filtered by include/exclude patterns',
    io: 'sitemap_url → { urls: [...] }',
    configSchema: sitemapParserConfig,
    example: {max_urls: 500, include: ['^https://example\\.com/docs/'], exclude: ['\\.pdf$']},
    load: () => import('./sitemap-parser.js'),
  }),
  defineAdapter({
    type: 'url_expander',
    family: 'web',
    summary: 'Fan-out: one message per URL, de-duplicated within the execution',
    io: 'urls → { url } × N',
    configSchema: urlExpanderConfig,
    example: {max_urls: 100},
    load: () => import('./url-expander.js'),
  }),
  defineAdapter({
    type: 'web_scraper',
    family: 'web',
    summary: 'Fetches one URL over HTTP with a per-domain adaptive rate limit, honouring robots.txt; asks conditionally (ETag / Last-Modified) for pages stored by an earlier run',
    io: 'url → { url, final_url, status, content_type, html | storage_key, headers }',
    configSchema: webScraperConfig,
    example: {timeout: 30, follow_redirects: true, headers: {'Accept-Language': 'en'}},
    load: () => import('./web-scraper.js'),
  }),
  defineAdapter({
    type: 'web_crawler',
    family: 'web',
    summary: 'Renders pages in headless Chromium, optionally following links within a domain',
    io: 'url → { url, final_url, status, content_type, html | storage_key, headers }',
    configSchema: webCrawlerConfig,
    example: {wait_for_selector: 'main', max_depth: 1},
    load: () => import('./web-crawler.js'),
  }),
  defineAdapter({
    type: 'web_content_storage',
    family: 'web',
    summary: 'Writes the page body and its metadata to storage, once: an artefact already stored (a spill, an unchanged page) is referenced',
    io: 'page → { url, storage_key, content_length, content_hash }',
    configSchema: webContentStorageConfig,
    example: {extension: '.html'},
    load: () => import('./web-content-storage.js'),
  }),
]
