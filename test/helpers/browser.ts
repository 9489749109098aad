import {existsSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {type Browser, chromium, type Page} from 'playwright-core'

import {CHROMIUM_INSTALL_HINT, CHROMIUM_PATH} from '../../src/adapters/web/chromium.js'

/** Debian's Chromium is a system package; CI installs it, so there a missing one fails instead of skipping. */
export const BROWSER_AVAILABLE = existsSync(CHROMIUM_PATH) || process.env.CI === 'true'
if (!BROWSER_AVAILABLE) console.warn(`browser tests skipped: ${CHROMIUM_PATH} is absent. ${CHROMIUM_INSTALL_HINT}`)

/** Where browser tests save their screenshots (not committed): test-results/web/. */
export const SCREENSHOT_DIR = path.resolve('test-results', 'web')

/** The system Chromium, headless, with nothing reaching out to the network on its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH, headless: true, chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** A full-page screenshot of `page` as test-results/web/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, {recursive: true})
  await page.screenshot({path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true})
}
