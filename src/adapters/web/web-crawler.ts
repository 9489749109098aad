import type {BrowserContext} from 'playwright-core'
import type {z} from 'zod'

import {ExternalError, isFactflowError} from '../../errors/index.js'
import type {Adapter, AdapterContext, AdapterOutput, AdapterResources} from '../types.js'
import type {webCrawlerConfig} from './catalog.js'
import {navigationError} from './chromium.js'
import {type ChromiumGuard, guardBrowserContext} from './chromium-guard.js'
import {abortError, httpStatusError} from './http-fetch.js'
import {type FetchedPage, pageOutput} from './page-output.js'
import {parseHttpUrl, requireHttpUrl} from './payload-url.js'
import {MAX_REDIRECTS} from './redirects.js'
import {robotsFor, type RobotsRules} from './robots.js'
import {sharedState, STATE_KEYS} from './shared-state.js'
import {defaultUserAgent} from './user-agent.js'

export type WebCrawlerConfig = z.output<typeof webCrawlerConfig>

/** Pages one message may crawl (link-following stops there, with a warning). */
export const MAX_PAGES_PER_CRAWL = 200

interface RenderedPage {
  page: FetchedPage
  links: string[]
}

/**
 * web_crawler (docs/reference/adapters.md): renders `payload.url` in headless Chromium (system
 * `/usr/bin/chromium` through playwright-core), waits for `load` and then for
 * `wait_for_selector` if set, and emits the rendered DOM like web_scraper does (`pageOutput`).
 *
 * With `max_depth` > 0 it follows `<a href>` links breadth-first (same origin as the page unless
 * `same_origin: false`) and fans out one output per page, each with its `depth`; stored bodies get
 * `.p<n>` key suffixes so keys stay derived from the message. Pages are claimed per execution (a
 * page reached from two start URLs is rendered once); at most `MAX_PAGES_PER_CRAWL` pages per
 * message. A linked page that fails is logged and left out; only the start page's failure fails the
 * message. robots.txt is always honoured (the config has no switch) and the per-host rate limit is
 * the one web_scraper uses. Errors of the start page follow web_scraper's classification.
 * Chromium connects to nothing itself: every request of the page (document, redirects,
 * sub-resources, scripts' fetches) is made by the runtime's policy-checked client and handed back
 * (`guardBrowserContext`); WebSockets and service workers are refused. The page's redirects are
 * navigated here, hop by hop (at most `MAX_REDIRECTS`). A start page whose address the policy
 * refuses fails with terminal `NETWORK_TARGET_REFUSED`, an https → http redirect with
 * `REDIRECT_DOWNGRADE`.
 * The runtime's one Chromium (`AdapterResources.fetchers`), leased by each adapter instance and
 * launched on first use; `close()` ends the lease, and the last lease closes the browser.
 */
export function createAdapter(config: WebCrawlerConfig, resources: AdapterResources): Adapter {
  const browser = resources.fetchers.browser()
  const userAgent = defaultUserAgent()
  const timeoutMs = config.timeout * 1000
  const {dispatcher} = resources.fetchers
  const robotsCache = sharedState(resources.executionState, STATE_KEYS.robots, () => new Map<string, Promise<RobotsRules>>())
  const claims = sharedState(resources.executionState, STATE_KEYS.crawledPages, () => new Map<string, string>())

  async function render(url: string, wantLinks: boolean, context: AdapterContext): Promise<RenderedPage | null> {
    const rules = await robotsFor(url, robotsCache, {dispatcher, userAgent, timeoutMs, signal: context.signal})
    if (!rules.isAllowed(url, userAgent)) return null
    const throttle = resources.fetchers.throttle(new URL(url).host)
    const crawlDelayMs = rules.crawlDelayMs(userAgent)
    if (crawlDelayMs !== undefined) throttle.setMinInterval(crawlDelayMs)
    const release = await throttle.acquire(context.signal, timeoutMs)
    let browserContext: BrowserContext | undefined
    // Closing the context rejects a pending goto/waitForSelector at once.
    const onAbort = () => void browserContext?.close().catch(() => {})
    context.signal.addEventListener('abort', onAbort, {once: true})
    const started = performance.now()
    let guard: ChromiumGuard | undefined
    try {
      browserContext = await (await browser.get()).newContext({userAgent, serviceWorkers: 'block'})
      guard = await guardBrowserContext(browserContext, {dispatcher, timeoutMs})
      if (context.signal.aborted) throw abortError(context.signal)
      const page = await browserContext.newPage()
      let response = await page.goto(url, {waitUntil: 'load', timeout: timeoutMs})
      const visited = [url]
      for (let next = guard.takeRedirect(); next !== undefined; next = guard.takeRedirect()) {
        if (visited.includes(next) || visited.length > MAX_REDIRECTS) {
          throw new ExternalError(visited.includes(next) ? 'REDIRECT_LOOP' : 'TOO_MANY_REDIRECTS', `${url} redirects in a loop or too often (${[...visited, next].join(' → ')}).`, {
            hint: 'The site is misconfigured for this URL; it is not retried.', details: {url, redirects: visited},
          })
        }
        visited.push(next)
        response = await page.goto(next, {waitUntil: 'load', timeout: timeoutMs})
      }
      const status = response?.status() ?? 200
      const headers = new Headers(response ? await response.allHeaders() : {})
      release({status, latencyMs: performance.now() - started})
      if (status >= 400) throw httpStatusError(page.url(), status)
      if (config.wait_for_selector) await page.waitForSelector(config.wait_for_selector, {state: 'attached', timeout: timeoutMs})
      const html = await page.content()
      // A string expression: this project compiles without the DOM library.
      const links = wantLinks ? await page.evaluate('Array.from(document.querySelectorAll("a[href]"), (a) => a.href)') as string[] : []
      return {
        page: {url, finalUrl: page.url(), status, contentType: headers.get('content-type') ?? 'text/html', body: html, headers},
        links,
      }
    } catch (error) {
      release({timedOut: error instanceof Error && error.name === 'TimeoutError'})
      if (context.signal.aborted) throw abortError(context.signal)
      const refused = guard?.navigationError()
      if (refused !== undefined && !isFactflowError(error)) throw refused
      throw isFactflowError(error) ? error : navigationError(url, error, timeoutMs)
    } finally {
      context.signal.removeEventListener('abort', onAbort)
      await browserContext?.close().catch(() => {})
    }
  }

  return {
    async process(context) {
      const startUrl = requireHttpUrl(context.payload, 'url', 'web_crawler')
      const claim = context.storageKey()
      const queue: Array<{url: string; depth: number}> = [{url: startUrl, depth: 0}]
      const queued = new Set([startUrl])
      const outputs: AdapterOutput[] = []
      while (queue.length > 0) {
        const {url, depth} = queue.shift()!
        if (outputs.length >= MAX_PAGES_PER_CRAWL) {
          context.logger.warn({url: startUrl, pages: outputs.length}, 'crawl stopped at its page limit')
          break
        }
        const owner = claims.get(url)
        if (depth > 0 && owner !== undefined && owner !== claim) continue
        claims.set(url, claim)
        let rendered: RenderedPage | null
        try {
          rendered = await render(url, depth < config.max_depth, context)
        } catch (error) {
          if (depth === 0 || context.signal.aborted) throw error
          context.logger.warn({url, depth, err: (error as Error).message}, 'linked page not crawled')
          continue
        }
        if (!rendered) {
          context.logger.info({url}, 'robots.txt disallows this URL; not rendered')
          if (depth === 0) {
            context.markSkipped('robots_disallowed')
            return null
          }
          continue
        }
        const output = await pageOutput(context, rendered.page, {keySuffix: outputs.length === 0 ? '' : `.p${outputs.length}`})
        output.payload.depth = depth
        outputs.push(output)
        const origin = new URL(rendered.page.finalUrl).origin
        for (const href of rendered.links) {
          const link = parseHttpUrl(href)
          if (!link || queued.has(link) || (config.same_origin && new URL(link).origin !== origin)) continue
          queued.add(link)
          queue.push({url: link, depth: depth + 1})
        }
      }
      return config.max_depth === 0 ? outputs[0] : outputs
    },
    close: () => browser.release(),
  }
}
