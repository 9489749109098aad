import {promisify} from 'node:util'
import {gunzip} from 'node:zlib'

import type {z} from 'zod'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterContext, AdapterResources} from '../types.js'
import type {sitemapParserConfig} from './catalog.js'
import {decodeBody} from './charset.js'
import {fetchOnce, httpStatusError, isRetryableStatus} from './http-fetch.js'
import {parseHttpUrl, requireHttpUrl} from './payload-url.js'
import {fetchFollowing} from './redirects.js'
import {parseRetryAfter} from './retry-after.js'
import {type ParsedSitemap, parseSitemap, SitemapSyntaxError} from './sitemap-xml.js'
import {defaultUserAgent} from './user-agent.js'

export type SitemapParserConfig = z.output<typeof sitemapParserConfig>

/** sitemaps.org caps a sitemap at 50 MB uncompressed; the same cap applies to what we download. */
const MAX_SITEMAP_BYTES = 50 * 1024 * 1024
/** Index → index → … nesting followed; deeper sitemaps are reported in `failed_sitemaps`. */
export const MAX_INDEX_DEPTH = 5

const gunzipAsync = promisify(gunzip)

/**
 * sitemap_parser (docs/reference/adapters.md): fetches `payload.sitemap_url` and emits
 * `{ sitemap_url, urls, count, truncated }` (+ `failed_sitemaps` when some nested sitemap could not
 * be used). Reads XML urlsets, sitemap indexes (recursively, depth ≤ 5, each sitemap at most once,
 * so cycles end), plain-text sitemaps, and gzip (recognised by its magic bytes, whatever the
 * content type). Every request, nested sitemaps and redirect hops included, goes through the
 * runtime's policy-checked client (`Fetchers.dispatcher`). Page URLs are made absolute, de-duplicated, kept when they match an `include`
 * pattern (if any) and no `exclude` pattern, and capped at `max_urls` (`truncated: true` when more
 * matched).
 *
 * Errors for the given sitemap: 404/410 → `NotFoundError` `SITEMAP_NOT_FOUND`; other 4xx →
 * `UserInputError` `SITEMAP_HTTP_<status>`; not a sitemap → `SITEMAP_INVALID`; over 50 MB →
 * `SITEMAP_TOO_LARGE` (all terminal); 408/429/5xx → retryable `HTTP_<status>`; network and
 * timeouts → retryable `UnavailableError`. A nested sitemap's terminal failure is logged and listed
 * in `failed_sitemaps` while the others are still read; a retryable one fails the message.
 */
export function createAdapter(config: SitemapParserConfig, resources: AdapterResources): Adapter {
  const include = config.include?.map((pattern) => new RegExp(pattern))
  const exclude = config.exclude?.map((pattern) => new RegExp(pattern)) ?? []
  const wanted = (url: string) => (!include || include.some((re) => re.test(url))) && !exclude.some((re) => re.test(url))
  const headers = {'user-agent': defaultUserAgent(), accept: 'application/xml, text/xml;q=0.9, text/plain;q=0.8, */*;q=0.5'}
  const timeoutMs = config.timeout * 1000

  async function fetchSitemap(url: string, context: AdapterContext): Promise<ParsedSitemap> {
    const {response, finalUrl} = await fetchFollowing(url, (hop) => fetchOnce(hop, {
      dispatcher: resources.fetchers.dispatcher, headers, timeoutMs, maxBytes: MAX_SITEMAP_BYTES, signal: context.signal, tooLargeCode: 'SITEMAP_TOO_LARGE',
    }), {follow: true})
    const {status} = response
    if (status === 404 || status === 410) {
      throw new NotFoundError('SITEMAP_NOT_FOUND', `Sitemap ${url} does not exist (HTTP ${status}).`, {
        hint: 'Check the URL; a site usually names its sitemaps in robots.txt ("Sitemap:" lines).',
        details: {url: finalUrl, status},
      })
    }
    if (isRetryableStatus(status)) throw httpStatusError(finalUrl, status, parseRetryAfter(response.headers.get('retry-after')))
    if (status < 200 || status >= 300) {
      throw new UserInputError(`SITEMAP_HTTP_${status}`, `Sitemap ${url} answered HTTP ${status}.`, {
        hint: 'Check the URL and whether the site lets us read it.',
        details: {url: finalUrl, status},
      })
    }
    const contentType = response.headers.get('content-type')
    const body = isGzip(response.body) ? await gunzipSitemap(url, response.body) : response.body
    try {
      return parseSitemap(decodeBody(body, contentType ?? 'application/xml').text)
    } catch (error) {
      if (!(error instanceof SitemapSyntaxError)) throw error
      throw new UserInputError('SITEMAP_INVALID', `${url} is not a sitemap: ${error.message}.`, {
        hint: 'Point sitemap_url at an XML sitemap, a sitemap index, a .xml.gz or a text list of URLs.',
        details: {url: finalUrl, content_type: contentType},
      })
    }
  }

  return {
    async process(context) {
      const sitemapUrl = requireHttpUrl(context.payload, 'sitemap_url', 'sitemap_parser')
      const urls = new Set<string>()
      const visited = new Set<string>()
      const failed: Array<{url: string; code: string; message: string}> = []
      let truncated = false

      const visit = async (url: string, depth: number): Promise<void> => {
        if (visited.has(url) || truncated) return
        visited.add(url)
        let parsed: ParsedSitemap
        try {
          parsed = await fetchSitemap(url, context)
        } catch (error) {
          if (depth === 0 || !isFactflowError(error) || error.retryable) throw error
          context.logger.warn({sitemap_url: url, code: error.code, err: error.message}, 'nested sitemap skipped')
          failed.push({url, code: error.code, message: error.message})
          return
        }
        if (parsed.kind === 'sitemapindex') {
          if (depth >= MAX_INDEX_DEPTH) {
            context.logger.warn({sitemap_url: url, depth}, 'sitemap index nested too deep; not followed')
            failed.push({url, code: 'SITEMAP_TOO_DEEP', message: `sitemap indexes nested deeper than ${MAX_INDEX_DEPTH}`})
            return
          }
          for (const loc of parsed.locs) {
            const child = parseHttpUrl(loc, url)
            if (child) await visit(child, depth + 1)
          }
          return
        }
        for (const loc of parsed.locs) {
          const page = parseHttpUrl(loc, url)
          if (!page || urls.has(page) || !wanted(page)) continue
          if (urls.size >= config.max_urls) {
            truncated = true
            return
          }
          urls.add(page)
        }
      }

      await visit(sitemapUrl, 0)
      const payload: Record<string, unknown> = {sitemap_url: sitemapUrl, urls: [...urls], count: urls.size, truncated}
      if (failed.length > 0) payload.failed_sitemaps = failed
      return {payload}
    },
  }
}

function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b
}

async function gunzipSitemap(url: string, body: Buffer): Promise<Buffer> {
  try {
    return await gunzipAsync(body, {maxOutputLength: MAX_SITEMAP_BYTES})
  } catch (error) {
    const tooLarge = (error as {code?: string}).code === 'ERR_BUFFER_TOO_LARGE'
    throw new UserInputError(tooLarge ? 'SITEMAP_TOO_LARGE' : 'SITEMAP_INVALID',
      tooLarge ? `${url} unpacks to more than ${MAX_SITEMAP_BYTES} bytes.` : `${url} is not a readable gzip file.`, {
        hint: tooLarge ? 'Split the sitemap with a sitemap index (sitemaps.org allows 50 MB per file).' : 'The file is corrupt or truncated.',
        cause: error,
        details: {url},
      })
  }
}
