import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {CHROMIUM_INSTALL_HINT, CHROMIUM_PATH, ChromiumBrowser} from '../../../src/adapters/web/chromium.js'

const runnable = existsSync(CHROMIUM_PATH) || process.env.CI === 'true'
if (!runnable) console.warn(`Chromium environment test skipped: ${CHROMIUM_PATH} is absent. ${CHROMIUM_INSTALL_HINT}`)

/** Environments of this process's direct children whose command line names chromium. */
async function chromiumChildEnvironments(): Promise<string[]> {
  const found: string[] = []
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (parent !== process.pid) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes('chromium')) found.push(await readFile(`/proc/${pid}/environ`, 'utf8'))
  }
  return found
}

describe.skipIf(!runnable)('Chromium', () => {
  const browser = new ChromiumBrowser()
  afterAll(() => browser.close())

  it('starts with a minimal environment: no API keys or cloud credentials of the process', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'aws-secret-trust-5c1e'
    process.env.OPENAI_API_KEY = 'sk-openai-trust-77aa'
    try {
      await browser.get()
      const environments = await chromiumChildEnvironments()
      expect(environments.length).toBeGreaterThan(0)
      for (const environ of environments) {
        expect(environ).not.toContain('aws-secret-trust-5c1e')
        expect(environ).not.toContain('sk-openai-trust-77aa')
        expect(environ).toMatch(/(^|\0)PATH=/)
      }
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY
      delete process.env.OPENAI_API_KEY
    }
  }, 60_000)
})
