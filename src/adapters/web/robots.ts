import robotsParserModule from 'robots-parser'

import type {Dispatcher} from 'undici'

import {ExternalError, isFactflowError, UnavailableError} from '../../errors/index.js'
import {abortError, fetchOnce, isRetryableStatus} from './http-fetch.js'
import {fetchFollowing} from './redirects.js'

// robots-parser is CommonJS (`module.exports = fn`) but its typings declare `export default fn`:
// under NodeNext the default import is the function at run time and the module object to TypeScript.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default

/** Google reads the first 500 KiB of a robots.txt; so do we (the rest is ignored, not an error). */
const MAX_ROBOTS_BYTES = 500 * 1024
/** RFC 9309 asks crawlers to follow at least five redirects for robots.txt. */
const MAX_ROBOTS_REDIRECTS = 5
/** A Crawl-delay above this is taken as this (a host cannot stall an execution for minutes per page). */
const MAX_CRAWL_DELAY_MS = 30_000

export interface RobotsRules {
  isAllowed(url: string, userAgent: string): boolean
  /** Crawl-delay for the user agent, in milliseconds. */
  crawlDelayMs(userAgent: string): number | undefined
}

const ALLOW_ALL: RobotsRules = {isAllowed: () => true, crawlDelayMs: () => undefined}

export interface RobotsOptions {
  /** The policy-checked client (`Fetchers.dispatcher`). */
  dispatcher: Dispatcher
  userAgent: string
  timeoutMs: number
  signal: AbortSignal
}

/**
 * The robots.txt rules of `url`'s origin, fetched once per origin and kept in `cache` (one map per
 * execution). Per RFC 9309: 2xx → its rules; other 4xx (404 included) → everything allowed;
 * 429, 5xx, timeouts and network errors → a retryable `UnavailableError` `ROBOTS_UNAVAILABLE` (the
 * page is not fetched while the site cannot say what it allows) and nothing is cached, so a later
 * attempt asks again. The shared fetch is not tied to one caller's signal; each caller stops
 * waiting when its own signal aborts.
 */
export async function robotsFor(url: string, cache: Map<string, Promise<RobotsRules>>, options: RobotsOptions): Promise<RobotsRules> {
  const origin = new URL(url).origin
  let pending = cache.get(origin)
  if (!pending) {
    pending = loadRobots(origin, options)
    cache.set(origin, pending)
    pending.catch(() => cache.delete(origin))
  }
  return raceSignal(pending, options.signal)
}

async function loadRobots(origin: string, options: RobotsOptions): Promise<RobotsRules> {
  const robotsUrl = `${origin}/robots.txt`
  let followed
  try {
    followed = await fetchFollowing(robotsUrl, (hop) => fetchOnce(hop, {
      dispatcher: options.dispatcher,
      headers: {'user-agent': options.userAgent, accept: 'text/plain, */*;q=0.1'},
      timeoutMs: options.timeoutMs,
      maxBytes: MAX_ROBOTS_BYTES,
      overflow: 'truncate',
    }), {follow: true, maxRedirects: MAX_ROBOTS_REDIRECTS})
  } catch (error) {
    if (isFactflowError(error) && !error.retryable) return ALLOW_ALL // a redirect loop: RFC 9309 treats it as unavailable (4xx)
    throw unavailable(robotsUrl, error instanceof Error ? error.message : String(error), error)
  }
  const {status, body} = followed.response
  if (status >= 200 && status < 300) {
    const robot = robotsParser(followed.finalUrl, body.toString('utf8'))
    return {
      isAllowed: (pageUrl, userAgent) => robot.isAllowed(pageUrl, userAgent) !== false,
      crawlDelayMs(userAgent) {
        const seconds = robot.getCrawlDelay(userAgent)
        return seconds === undefined || !(seconds > 0) ? undefined : Math.min(seconds * 1000, MAX_CRAWL_DELAY_MS)
      },
    }
  }
  if (isRetryableStatus(status)) throw unavailable(robotsUrl, `HTTP ${status}`)
  return ALLOW_ALL
}

function unavailable(robotsUrl: string, reason: string, cause?: unknown): UnavailableError {
  return new UnavailableError('ROBOTS_UNAVAILABLE', `Could not read ${robotsUrl} (${reason}).`, {
    hint: 'Pages of this site are not fetched until its robots.txt answers; the message is retried. Set respect_robots_txt: false only if you may ignore it.',
    cause,
    details: {url: robotsUrl},
  })
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** The page is disallowed by robots.txt (terminal; web_scraper turns it into "end of chain"). */
export class RobotsDisallowedError extends ExternalError {
  constructor(url: string) {
    super('ROBOTS_DISALLOWED', `robots.txt of ${new URL(url).origin} disallows ${url}.`, {
      hint: 'Set respect_robots_txt: false only if you are allowed to ignore the site\'s robots.txt.',
      details: {url},
    })
  }
}
