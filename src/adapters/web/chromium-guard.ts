import type {BrowserContext, Route} from 'playwright-core'
import {type Dispatcher, fetch} from 'undici'

import {addressRefusedCause} from '../../network/guarded-dispatcher.js'

/** Largest response body handed to Chromium for one request (a page, a script, an image). */
const MAX_RESOURCE_BYTES = 32 * 1024 * 1024

/** Request headers that describe the connection, not the request: undici sets its own. */
const CONNECTION_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'proxy-connection', 'te', 'trailer'])
/** Response headers that no longer hold once undici has decoded the body. */
const DECODED_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Why the page's own navigation (the document, or one of its redirects) was not fetched. */
export interface NavigationRefusal {
  url: string
  kind: 'address' | 'downgrade' | 'scheme'
  reason: string
}

export interface ChromiumGuard {
  /** The last refused request of the main frame's navigation, if any. */
  navigationRefusal(): NavigationRefusal | undefined
}

export interface ChromiumGuardOptions {
  /** The policy-checked client (`Fetchers.dispatcher`). */
  dispatcher: Dispatcher
  timeoutMs: number
}

/**
 * Puts every request of `browserContext` through the network policy: Chromium itself connects to
 * nothing. Each http(s) request is intercepted (`route`) and made by `dispatcher`, whose lookup
 * checks the address it connects to (so a name resolving once publicly and then privately cannot
 * slip between a check and Chromium's own connection), and its answer is handed back to Chromium
 * (`fulfill`); a 3xx is handed back as it is, so Chromium follows it with a new request that is
 * intercepted in turn. Refused: other schemes, every WebSocket (a crawl reads pages; a socket
 * would be a channel the policy cannot see into), an https → http redirect of the page, and any
 * address the policy refuses. Service workers must be blocked in the context's options
 * (`serviceWorkers: 'block'`): their requests bypass interception.
 */
export async function guardBrowserContext(browserContext: BrowserContext, options: ChromiumGuardOptions): Promise<ChromiumGuard> {
  let refusal: NavigationRefusal | undefined
  const refuse = async (route: Route, found: NavigationRefusal) => {
    const request = route.request()
    if (request.isNavigationRequest() && request.frame().parentFrame() === null) refusal = found
    await route.abort('blockedbyclient').catch(() => {})
  }
  await browserContext.routeWebSocket(() => true, (socket) => socket.close({code: 1008, reason: 'WebSockets are not opened by the crawler'}))
  await browserContext.route(() => true, async (route) => {
    const request = route.request()
    const url = request.url()
    if (!url.startsWith('http://') && !url.startsWith('https://')) {
      return refuse(route, {url, kind: 'scheme', reason: `${url.split(':')[0]}: requests are not made by the crawler`})
    }
    const from = request.redirectedFrom()
    if (from !== null && from.url().startsWith('https:') && url.startsWith('http:')) {
      return refuse(route, {url, kind: 'downgrade', reason: `${from.url()} redirects to ${url}, from https to plain http`})
    }
    let answer
    try {
      answer = await fetchForChromium(url, request.method(), await request.allHeaders(), request.postDataBuffer(), options)
    } catch (error) {
      const refused = addressRefusedCause(error)
      if (refused) return refuse(route, {url, kind: 'address', reason: refused.message})
      await route.abort('failed').catch(() => {})
      return
    }
    await route.fulfill(answer).catch(() => {})
  })
  return {navigationRefusal: () => refusal}
}

async function fetchForChromium(url: string, method: string, requestHeaders: Record<string, string>, body: Buffer | null, options: ChromiumGuardOptions) {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(requestHeaders)) {
    if (!name.startsWith(':') && !CONNECTION_HEADERS.has(name)) headers[name] = value
  }
  const response = await fetch(url, {
    method, headers, body: body ?? undefined, redirect: 'manual', dispatcher: options.dispatcher, signal: AbortSignal.timeout(options.timeoutMs),
  })
  const chunks: Uint8Array[] = []
  let total = 0
  if (response.body) {
    for await (const chunk of response.body) {
      total += chunk.byteLength
      if (total > MAX_RESOURCE_BYTES) throw new Error(`${url} is larger than ${MAX_RESOURCE_BYTES} bytes`)
      chunks.push(chunk)
    }
  }
  const fulfilled: Record<string, string> = {}
  for (const [name, value] of response.headers) {
    if (!DECODED_HEADERS.has(name) && name !== 'set-cookie') fulfilled[name] = value
  }
  const cookies = response.headers.getSetCookie()
  // Playwright splits set-cookie on newlines into one header per cookie.
  if (cookies.length > 0) fulfilled['set-cookie'] = cookies.join('\n')
  return {status: response.status, headers: fulfilled, body: Buffer.concat(chunks)}
}
