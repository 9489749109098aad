import type {BrowserContext, Request} from 'playwright-core'
import type {Dispatcher} from 'undici'

import {ExternalError, isFactflowError} from '../../errors/index.js'
import {type FetchedResponse, fetchOnce, isRedirectStatus} from './http-fetch.js'
import {fetchFollowing, redirectTarget} from './redirects.js'

/** Largest response body handed to Chromium for one request (a page, a script, an image). */
const MAX_RESOURCE_BYTES = 32 * 1024 * 1024

/** Request headers that describe the connection, not the request: undici sets its own. */
const CONNECTION_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'proxy-connection', 'te', 'trailer'])
/** Request headers that belong to the origin asked for and do not follow a redirect elsewhere. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization'])
/** Response headers that no longer hold once undici has decoded the body. */
const DECODED_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'set-cookie'])

export interface ChromiumGuard {
  /**
   * Why the main frame's last navigation was not loaded (the policy refused its address, a bad
   * redirect, the site unreachable), as the error to report; undefined when it was.
   */
  navigationError(): Error | undefined
  /**
   * The URL the main frame's last navigation redirected to, taken once. The guard does not let
   * Chromium follow redirects (a followed redirect is not intercepted again): the document is an
   * empty page and the caller navigates to this URL, so the page's URL is the final one.
   */
  takeRedirect(): string | undefined
}

export interface ChromiumGuardOptions {
  /** The policy-checked client (`Fetchers.dispatcher`). */
  dispatcher: Dispatcher
  timeoutMs: number
}

/**
 * Puts every request of `browserContext` through the network policy: Chromium connects to nothing
 * itself. Each http(s) request is intercepted (`route`), made by `dispatcher` (whose lookup checks
 * the address it connects to, so a name resolving publicly for a check and privately for the
 * connection cannot slip through), and its answer handed back (`fulfill`). Redirects are never
 * handed to Chromium, which would follow them without interception: sub-resources' redirects are
 * followed here, hop by hop (credentials dropped across origins, https → http refused), and the
 * main frame's are returned to the caller (`takeRedirect`). Refused: other schemes, every
 * WebSocket (a crawl reads pages; a socket is a channel the policy cannot see into), and any
 * address the policy refuses. Service workers must be blocked in the context's options
 * (`serviceWorkers: 'block'`): their requests bypass interception. Chromium is also launched
 * with an unreachable proxy (`ChromiumBrowser`), so a request that escaped interception fails.
 */
export async function guardBrowserContext(browserContext: BrowserContext, options: ChromiumGuardOptions): Promise<ChromiumGuard> {
  let navigationError: Error | undefined
  let redirect: string | undefined
  await browserContext.routeWebSocket(() => true, (socket) => socket.close({code: 1008, reason: 'WebSockets are not opened by the crawler'}))
  await browserContext.route(() => true, async (route) => {
    const request = route.request()
    const main = isMainNavigation(request)
    if (main) {
      navigationError = undefined
      redirect = undefined
    }
    try {
      const answer = main ? await fetchNavigation(request, options) : await fetchResource(request, options)
      if (main && isRedirectStatus(answer.status) && answer.headers.has('location')) {
        redirect = redirectTarget(answer.headers.get('location')!, request.url())
        await route.fulfill({status: 200, contentType: 'text/html', body: ''}).catch(() => {})
        return
      }
      await route.fulfill({status: answer.status, headers: fulfilledHeaders(answer.headers), body: answer.body}).catch(() => {})
    } catch (error) {
      if (main) navigationError = error instanceof Error ? error : new Error(String(error))
      const refused = isFactflowError(error) && !error.retryable
      await route.abort(refused ? 'blockedbyclient' : 'failed').catch(() => {})
    }
  })
  return {
    navigationError: () => navigationError,
    takeRedirect() {
      const next = redirect
      redirect = undefined
      return next
    },
  }
}

function isMainNavigation(request: Request): boolean {
  if (!request.isNavigationRequest()) return false
  try {
    return request.frame().parentFrame() === null
  } catch {
    return false
  }
}

function requestHeaders(headers: Record<string, string>, credentials: boolean): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || CONNECTION_HEADERS.has(name) || (!credentials && CREDENTIAL_HEADERS.has(name))) continue
    kept[name] = value
  }
  return kept
}

function checkScheme(url: string): void {
  if (url.startsWith('http://') || url.startsWith('https://')) return
  throw new ExternalError('REDIRECT_INVALID', `${url.split(':')[0]}: requests are not made by the crawler (${url.slice(0, 100)}).`, {details: {url}})
}

/** The main frame's document: one hop, its redirect (if any) is for the caller to navigate to. */
async function fetchNavigation(request: Request, options: ChromiumGuardOptions): Promise<FetchedResponse> {
  const url = request.url()
  checkScheme(url)
  return fetchOnce(url, {
    dispatcher: options.dispatcher, method: request.method(), body: request.postDataBuffer() ?? undefined,
    headers: requestHeaders(await request.allHeaders(), true), timeoutMs: options.timeoutMs, maxBytes: MAX_RESOURCE_BYTES,
  })
}

/** A sub-resource (or a frame's document): redirects followed here, each hop through the policy. */
async function fetchResource(request: Request, options: ChromiumGuardOptions): Promise<FetchedResponse> {
  const url = request.url()
  checkScheme(url)
  const headers = await request.allHeaders()
  const body = request.postDataBuffer() ?? undefined
  const {response} = await fetchFollowing(url, (hopUrl, hop) => fetchOnce(hopUrl, {
    dispatcher: options.dispatcher, headers: requestHeaders(headers, hop.sameOrigin), timeoutMs: options.timeoutMs, maxBytes: MAX_RESOURCE_BYTES,
    // A redirected POST becomes a GET without a body, as browsers do (307/308 aside, which keep both: rare for pages).
    ...(hopUrl === url ? {method: request.method(), body} : {}),
  }), {follow: true})
  return response
}

function fulfilledHeaders(headers: Headers): Record<string, string> {
  const fulfilled: Record<string, string> = {}
  for (const [name, value] of headers) {
    if (!DECODED_HEADERS.has(name)) fulfilled[name] = value
  }
  const cookies = headers.getSetCookie()
  // Playwright splits set-cookie on newlines into one header per cookie.
  if (cookies.length > 0) fulfilled['set-cookie'] = cookies.join('\n')
  return fulfilled
}
