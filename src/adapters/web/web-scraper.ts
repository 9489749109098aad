import type {z} from 'zod'

import {isFactflowError} from '../../errors/index.js'
import type {Adapter, AdapterContext, AdapterOutput, AdapterResources} from '../types.js'
import type {webScraperConfig} from './catalog.js'
import {conditionalHeaders, notModifiedOutput, usableStoredPage} from './conditional-request.js'
import {type FetchedResponse, fetchOnce, httpStatusError} from './http-fetch.js'
import {pageOutput} from './page-output.js'
import {requireHttpUrl} from './payload-url.js'
import {fetchFollowing, type RedirectHop} from './redirects.js'
import {parseRetryAfter} from './retry-after.js'
import {RobotsDisallowedError, robotsFor, type RobotsRules} from './robots.js'
import {sharedState, STATE_KEYS} from './shared-state.js'
import {type StoredPage, storedPagesFor} from './stored-pages.js'
import {defaultUserAgent} from './user-agent.js'

export type WebScraperConfig = z.output<typeof webScraperConfig>

/**
 * Request headers: ours, then the config's `headers`, then `user_agent` when set (names lower-cased).
 * These go to the origin of the requested URL only: see `crossOriginHeaders`.
 */
export function requestHeaders(config: {headers: Record<string, string>; user_agent?: string}): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': defaultUserAgent(),
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  }
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value
  if (config.user_agent) headers['user-agent'] = config.user_agent
  return headers
}

/**
 * What a redirect hop to another origin carries: User-Agent and Accept, never the config's other
 * headers (Authorization, Cookie, API keys), which were meant for the origin asked for.
 */
export function crossOriginHeaders(headers: Record<string, string>): Record<string, string> {
  return {'user-agent': headers['user-agent']!, accept: headers.accept!}
}

/**
 * web_scraper (docs/reference/adapters.md): fetches `payload.url` and emits the page (see `pageOutput`).
 *
 * - Redirects are followed hop by hop (at most 10, loops fail at once), each hop checked against
 *   robots.txt, the rate limit of its own host and the network policy (after DNS resolution, in
 *   the runtime's client); a hop to another origin carries none of the config's `headers`
 *   (`crossOriginHeaders`) and an https → http hop is refused (`REDIRECT_DOWNGRADE`);
 *   `follow_redirects: false` emits the 3xx itself (its `headers.location` says where it points).
 * - robots.txt is read once per origin per execution. A URL it disallows is not an error: the
 *   adapter logs it, marks the invocation skipped (`robots_disallowed` in lineage) and ends the
 *   chain for that message, so a site's wishes neither dead-letter messages nor trip the circuit
 *   breaker. A robots.txt that cannot be read (5xx, timeout) fails the message as retryable.
 * - Per-host adaptive rate limit shared by every web adapter of every execution of the runtime
 *   (`DomainThrottle`, `AdapterResources.fetchers`):
 *   a 429/503 pauses the host for its Retry-After, so the retry the engine schedules is sent only
 *   after it; a pause longer than `timeout` fails fast as retryable `RATE_LIMITED`.
 * - Re-runs: when web_content_storage stored this URL in an earlier run (`StoredPages`, in the
 *   run's database) and the artefact is still in storage, the request to the URL the page was
 *   found at carries `If-None-Match` / `If-Modified-Since`. A 304 marks the invocation skipped
 *   (`unchanged`) and ends the chain when the run that last ran the page completed it with this
 *   pipeline (`StoredPages.finished`); otherwise it emits the stored artefact instead of a body
 *   (`notModifiedOutput`: `status: 304`, `unchanged: true`, `storage_key`, `content_hash`), the
 *   page's record now naming this run, and downstream stages find their stored results by that
 *   content hash. A 200 is a changed (or unvalidated) page and is
 *   emitted as usual, except that a body over the inline limit whose sha256 equals the stored
 *   artefact's is not stored again (see `pageOutput`).
 * - Errors: network, timeout, 408, 429, 5xx → retryable; other 4xx → terminal `HTTP_<status>`; a
 *   body over `max_bytes` → terminal `PAGE_TOO_LARGE` (reading stops there); cancellation aborts the
 *   request and throws an `AbortError`.
 */
export function createAdapter(config: WebScraperConfig, resources: AdapterResources): Adapter {
  const headers = requestHeaders(config)
  const foreignHeaders = crossOriginHeaders(headers)
  const userAgent = headers['user-agent']!
  const timeoutMs = config.timeout * 1000
  const robotsCache = sharedState(resources.executionState, STATE_KEYS.robots, () => new Map<string, Promise<RobotsRules>>())
  const storedPages = storedPagesFor(resources)

  const {dispatcher} = resources.fetchers

  async function fetchHop(url: string, hop: RedirectHop, context: AdapterContext, extraHeaders?: Record<string, string>): Promise<FetchedResponse> {
    const throttle = resources.fetchers.throttle(new URL(url).host)
    if (config.respect_robots_txt) {
      const rules = await robotsFor(url, robotsCache, {dispatcher, userAgent, timeoutMs, signal: context.signal})
      if (!rules.isAllowed(url, userAgent)) throw new RobotsDisallowedError(url)
      const crawlDelayMs = rules.crawlDelayMs(userAgent)
      if (crawlDelayMs !== undefined) throttle.setMinInterval(crawlDelayMs)
    }
    const release = await throttle.acquire(context.signal, timeoutMs)
    try {
      const sent = hop.sameOrigin ? headers : foreignHeaders
      const response = await fetchOnce(url, {
        dispatcher, headers: extraHeaders ? {...sent, ...extraHeaders} : sent, timeoutMs, maxBytes: config.max_bytes, signal: context.signal,
      })
      release({status: response.status, latencyMs: response.elapsedMs, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'))})
      return response
    } catch (error) {
      release({timedOut: isFactflowError(error) && error.code === 'HTTP_TIMEOUT'})
      throw error
    }
  }

  /**
   * Before an unchanged page flows on: its record now names this execution (and its validators the
   * ones the 304 sent), so that once this run completes, the next one can end the page's chain.
   */
  async function claim(url: string, known: StoredPage, output: AdapterOutput, context: AdapterContext): Promise<void> {
    const runBy = await storedPages.runBy(context)
    const sent = output.payload.headers as Record<string, string>
    // Not the earlier run's fingerprint under this run's id: without one of its own, none.
    const {execution_id: _earlierRun, pipeline: _earlierPipeline, ...page} = known
    const record: StoredPage = {...page, ...runBy}
    if (sent.etag !== undefined) record.etag = sent.etag
    if (sent['last-modified'] !== undefined) record.last_modified = sent['last-modified']
    await storedPages.put(url, record, context.executionId)
  }

  return {
    close: () => storedPages.close(),
    async process(context) {
      const url = requireHttpUrl(context.payload, 'url', 'web_scraper')
      const known = await usableStoredPage(storedPages, context.storage, url)
      const conditional = known === undefined ? {} : conditionalHeaders(known, headers)
      // Only the URL the stored page was found at gets the validators: a hop before it is
      // another resource (a redirect), whose answer they do not describe.
      const validatedUrl = Object.keys(conditional).length > 0 ? known?.final_url : undefined
      const hopHeaders = (hop: string) => (hop === validatedUrl ? conditional : undefined)
      let followed
      try {
        followed = await fetchFollowing(url, (hopUrl, hop) => fetchHop(hopUrl, hop, context, hopHeaders(hopUrl)), {follow: config.follow_redirects})
      } catch (error) {
        if (!(error instanceof RobotsDisallowedError)) throw error
        context.logger.info({url, disallowed_url: error.details?.url}, 'robots.txt disallows this URL; not fetched')
        context.markSkipped('robots_disallowed')
        return null
      }
      const {response, finalUrl} = followed
      if (response.status >= 400) {
        throw httpStatusError(finalUrl, response.status, parseRetryAfter(response.headers.get('retry-after')))
      }
      if (response.status === 304 && known !== undefined && finalUrl === validatedUrl) {
        context.markSkipped('unchanged')
        if (await storedPages.finished(known, context)) return null
        const output = notModifiedOutput(url, known, response.headers)
        await claim(url, known, output, context)
        return output
      }
      return pageOutput(context, {
        url, finalUrl, status: response.status, contentType: response.headers.get('content-type') ?? '',
        body: response.body, headers: response.headers,
      }, {known})
    },
  }
}
