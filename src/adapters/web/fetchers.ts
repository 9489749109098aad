import type {Browser} from 'playwright-core'

import {ChromiumBrowser} from './chromium.js'
import {DomainThrottle} from './domain-throttle.js'

/**
 * What web adapters fetch with, owned by the runtime (`AdapterResources.fetchers`) so that every
 * execution of a process shares it:
 *
 * - one adaptive rate limit per host: two executions crawling the same site are as polite together
 *   as one is alone (a 429 seen by one pauses the other's requests to that host too);
 * - one headless Chromium for every web_crawler, launched on first use, shared through leases and
 *   closed when the last lease ends (so a server does not keep an idle browser for hours) or when
 *   the runtime closes.
 *
 * robots.txt stays per execution (docs/reference/adapters.md: read once per origin per execution).
 */
export interface Fetchers {
  /** The rate limit of `host` (host[:port]), created on first use. */
  throttle(host: string): DomainThrottle
  /** A lease on the shared browser; `release` when the adapter closes. */
  browser(): BrowserLease
  /** Closes the browser (runtime shutdown). */
  close(): Promise<void>
}

export interface BrowserLease {
  /** The running browser, launched (or relaunched after a crash) on demand. */
  get(): Promise<Browser>
  /** Ends the lease; the last one to end closes the browser. Idempotent. */
  release(): Promise<void>
}

export function createFetchers(): Fetchers {
  const throttles = new Map<string, DomainThrottle>()
  const chromium = new ChromiumBrowser()
  let leases = 0
  return {
    throttle(host) {
      let throttle = throttles.get(host)
      if (throttle === undefined) {
        throttle = new DomainThrottle()
        throttles.set(host, throttle)
      }
      return throttle
    },
    browser() {
      ChromiumBrowser.assertInstalled()
      leases++
      let released = false
      return {
        get: () => {
          if (released) throw new Error('browser lease used after release')
          return chromium.get()
        },
        async release() {
          if (released) return
          released = true
          if (--leases === 0) await chromium.close()
        },
      }
    },
    close: () => chromium.close(),
  }
}
