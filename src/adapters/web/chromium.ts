import {existsSync} from 'node:fs'

import type {Browser} from 'playwright-core'

import {ExternalError, UnavailableError} from '../../errors/index.js'

/** The system Chromium (Debian's `chromium` package); playwright-core downloads no browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export const CHROMIUM_INSTALL_HINT = 'Install the system Chromium: `apt-get update && apt-get install -y chromium`.'

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
]

/**
 * Where Chromium would send any request it made itself: a closed port. Every request of a crawl is
 * intercepted and made by the policy-checked client (`guardBrowserContext`); one that escaped
 * interception fails here instead of reaching the network (Playwright also routes loopback through
 * the proxy, `<-loopback>`).
 */
const UNREACHABLE_PROXY = 'http://127.0.0.1:1'

/** The only variables Chromium inherits: what it needs to run, never API keys or cloud credentials. */
const CHROMIUM_ENV_NAMES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'FONTCONFIG_PATH', 'FONTCONFIG_FILE', 'XDG_RUNTIME_DIR']

/** The environment Chromium starts with: `CHROMIUM_ENV_NAMES` taken from `env`, nothing else. */
export function chromiumEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const picked: Record<string, string> = {}
  for (const name of CHROMIUM_ENV_NAMES) {
    const value = env[name]
    if (value !== undefined) picked[name] = value
  }
  return picked
}

/**
 * One headless Chromium, launched on first use (so a pipeline that never reaches the crawler starts
 * no browser) and relaunched if it dies. playwright-core is imported here, lazily: it is large.
 */
export class ChromiumBrowser {
  private launching: Promise<Browser> | undefined

  /** Throws `ExternalError` `CHROMIUM_MISSING` (terminal) when the executable is absent. */
  static assertInstalled(): void {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new ExternalError('CHROMIUM_MISSING', `web_crawler needs Chromium at ${CHROMIUM_PATH}, which is absent.`, {hint: CHROMIUM_INSTALL_HINT})
    }
  }

  get(): Promise<Browser> {
    this.launching ??= this.launch()
    return this.launching
  }

  async close(): Promise<void> {
    const launching = this.launching
    this.launching = undefined
    const browser = await launching?.catch(() => undefined)
    await browser?.close().catch(() => {})
  }

  private async launch(): Promise<Browser> {
    try {
      const {chromium} = await import('playwright-core')
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH, headless: true, chromiumSandbox: false, args: CHROMIUM_ARGS, env: chromiumEnvironment(),
        proxy: {server: UNREACHABLE_PROXY},
      })
      browser.on('disconnected', () => {
        this.launching = undefined
      })
      return browser
    } catch (error) {
      this.launching = undefined
      throw new ExternalError('CHROMIUM_LAUNCH_FAILED', `Chromium at ${CHROMIUM_PATH} did not start: ${(error as Error).message.split('\n')[0]}`, {
        hint: CHROMIUM_INSTALL_HINT, cause: error,
      })
    }
  }
}

/**
 * A Playwright navigation error as the engine's vocabulary: timeouts → retryable `HTTP_TIMEOUT`;
 * Chromium's `net::ERR_*` network failures → retryable `HTTP_UNREACHABLE`; redirect loops →
 * terminal `TOO_MANY_REDIRECTS`; a URL that starts a download → terminal `NOT_RENDERABLE`.
 */
export function navigationError(url: string, error: unknown, timeoutMs: number): Error {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new UnavailableError('HTTP_TIMEOUT', `${url} did not finish loading within ${timeoutMs / 1000} s.`, {
      hint: 'The page may be slow or never reach the awaited state; the message is retried. Raise `timeout` if it is just slow.',
      cause: error, details: {url, timeout_ms: timeoutMs},
    })
  }
  if (message.includes('ERR_TOO_MANY_REDIRECTS')) {
    return new ExternalError('TOO_MANY_REDIRECTS', `${url} redirects in a loop or too often.`, {
      hint: 'The site is misconfigured for this URL; it is not retried.', cause: error, details: {url},
    })
  }
  if (message.includes('Download is starting')) {
    return new ExternalError('NOT_RENDERABLE', `${url} is a download, not a page to render.`, {
      hint: 'Fetch files with web_scraper instead of web_crawler.', cause: error, details: {url},
    })
  }
  const net = /net::(ERR_[A-Z_]+)/.exec(message)
  if (net) {
    return new UnavailableError('HTTP_UNREACHABLE', `Could not load ${url}: ${net[1]}.`, {
      hint: 'The site could not be reached; the message is retried.', cause: error, details: {url, reason: net[1]},
    })
  }
  return error instanceof Error ? error : new Error(message)
}
