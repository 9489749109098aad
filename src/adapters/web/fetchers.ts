import type {Browser} from 'playwright-core'
import type {Dispatcher} from 'undici'

import {type NetworkPolicy, RUN_NETWORK_POLICY} from '../../network/address-policy.js'
import {createGuardedDispatcher, type GuardedDispatcherOptions} from '../../network/guarded-dispatcher.js'
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
 * - one HTTP client (`dispatcher`) whose every connection is checked against the network policy
 *   after DNS resolution (`createGuardedDispatcher`): web_scraper, sitemap_parser, robots.txt and
 *   every request of web_crawler's Chromium go through it.
 *
 * robots.txt stays per execution (docs/reference/adapters.md: read once per origin per execution).
 */
export interface Fetchers {
  /** What outbound connections may reach (`network.*` of the settings). */
  readonly network: Readonly<NetworkPolicy>
  /** The policy-checked HTTP client of every web adapter (undici; connections pooled per origin). */
  readonly dispatcher: Dispatcher
  /** The rate limit of `host` (host[:port]), created on first use. */
  throttle(host: string): DomainThrottle
  /** A lease on the shared browser; `release` when the adapter closes. */
  browser(): BrowserLease
  /** Closes the browser and the HTTP client's connections (runtime shutdown). */
  close(): Promise<void>
}

export interface BrowserLease {
  /** The running browser, launched (or relaunched after a crash) on demand. */
  get(): Promise<Browser>
  /** Ends the lease; the last one to end closes the browser. Idempotent. */
  release(): Promise<void>
}

export interface FetchersOptions extends GuardedDispatcherOptions {
  /** Default `RUN_NETWORK_POLICY` (`factflow run`: loopback and private ranges allowed, link-local not). */
  network?: NetworkPolicy
}

export function createFetchers(options: FetchersOptions = {}): Fetchers {
  const network = options.network ?? RUN_NETWORK_POLICY
  const dispatcher = createGuardedDispatcher(network, options)
  const throttles = new Map<string, DomainThrottle>()
  const chromium = new ChromiumBrowser()
  let leases = 0
  return {
    network, dispatcher,
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
    async close() {
      await chromium.close()
      await dispatcher.close().catch(() => {})
    },
  }
}
