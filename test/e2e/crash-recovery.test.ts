import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {BIN, runCli} from '../helpers/cli.js'

const PAGES = 200
let work: string
let server: http.Server
let site: string
let pageRequests = 0

const PIPELINE = `version: "1.0"
name: crash-crawl
error_handling: { max_retries: 1, retry_delay_seconds: 1, dead_letter_queue: /queue/crash.dlq }
init_message:
  route: crawl
routes:
  crawl:
    inbound: { queue: /queue/crash.crawl, concurrency: 2 }
    adapters:
      - type: sitemap_parser
      - type: url_expander
      - type: web_scraper
        config: { respect_robots_txt: false, timeout: 10 }
      - type: web_content_storage
        config: { extension: .html }
`

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-crash-'))
  server = http.createServer((request, response) => {
    if (request.url === '/sitemap.xml') {
      const urls = Array.from({length: PAGES}, (_, i) => `<url><loc>${site}/p/${i}</loc></url>`).join('')
      response.writeHead(200, {'content-type': 'application/xml'}).end(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls}</urlset>`)
      return
    }
    pageRequests++
    // Slow pages: the crawl lasts long enough to be killed in the middle.
    setTimeout(() => response.writeHead(200, {'content-type': 'text/html'}).end(`<html><head><title>${request.url}</title></head><body><h1>${request.url}</h1></body></html>`), 150)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await writeFile(path.join(work, 'crawl.yaml'), PIPELINE)
})
afterAll(async () => {
  server?.close()
  await rm(work, {recursive: true, force: true})
})

async function statuses(): Promise<Record<string, string>> {
  const db = await openDatabase(path.join(work, 'output', 'db'), {pgliteWorker: false})
  try {
    const {rows} = await db.query<{id: string; status: string}>('SELECT id::text, status FROM executions')
    return Object.fromEntries(rows.map((row) => [row.id, row.status]))
  } finally {
    await db.close()
  }
}

describe('a factflow run killed with SIGKILL mid-crawl', () => {
  it('is marked interrupted by the next run, which completes and leaves no staging files; --resume continues it', async () => {
    const init = JSON.stringify({sitemap_url: `${site}/sitemap.xml`})
    // Debug logs say when the database is open: the crawl starts before it (a first run does not
    // wait for it), and only from then on is the execution recorded, so the kill comes after.
    const child = spawn(process.execPath, [BIN, 'run', 'crawl.yaml', '--no-tui', '--init-payload', init], {
      cwd: work, env: {...process.env, FORCE_COLOR: '0', FACTFLOW_LOG_LEVEL: 'debug'}, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const deadline = Date.now() + 90_000
    const wait = async (done: () => boolean) => {
      while (!done() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
    }
    await wait(() => stderr.includes('"msg":"database open"'))
    const atOpen = pageRequests
    await wait(() => pageRequests >= atOpen + 10)
    expect(child.exitCode, stderr).toBeNull()
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const killedId = /execution ([0-9a-f-]{36})/.exec(stderr)?.[1]
    expect(killedId, stderr).toBeDefined()
    expect(pageRequests).toBeLessThan(PAGES)
    // What a killed writer leaves in the file store's staging folder (pid 999999 of another boot).
    const staging = path.join(work, 'output', 'storage', '.factflow-staging')
    await mkdir(staging, {recursive: true})
    await writeFile(path.join(staging, '999999@1.0b7c6a8e-killed.tmp'), 'half an object')
    expect((await statuses())[killedId!]).toBe('running')

    const next = await runCli(['run', 'crawl.yaml', '--no-tui', '--init-payload', init], {cwd: work, timeoutMs: 180_000})
    expect(next.code, next.stderr).toBe(0)
    expect(next.stderr).toContain(`now interrupted: ${killedId}`)
    expect(next.stdout).toMatch(/crash-crawl: completed/)
    const newId = /execution ([0-9a-f-]{36})/.exec(next.stderr)?.[1]
    expect(await statuses()).toMatchObject({[killedId!]: 'interrupted', [newId!]: 'completed'})
    expect(await readdir(staging)).toEqual([])

    const resumed = await runCli(['run', '--resume', killedId!, '--json'], {cwd: work, timeoutMs: 180_000})
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({execution_id: killedId, status: 'completed'})
    expect((await statuses())[killedId!]).toBe('completed')
    expect(await readdir(staging)).toEqual([])

    // Only an interrupted execution resumes.
    const again = await runCli(['run', '--resume', killedId!], {cwd: work})
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/EXECUTION_NOT_INTERRUPTED/)
  }, 400_000)

  it('before its database opened: the next run still finds it, marks it interrupted, and --resume continues it', async () => {
    const dir = path.join(work, 'early')
    await mkdir(dir, {recursive: true})
    await writeFile(path.join(dir, 'crawl.yaml'), PIPELINE)
    const init = JSON.stringify({sitemap_url: `${site}/sitemap.xml`})
    // Without the template cache a first run's database takes seconds to make (initdb in a child),
    // while the crawl runs from the start: the kill lands in between.
    const child = spawn(process.execPath, [BIN, 'run', 'crawl.yaml', '--no-tui', '--init-payload', init], {
      cwd: dir, env: {...process.env, FORCE_COLOR: '0', FACTFLOW_LOG_LEVEL: 'debug', FACTFLOW_CACHE_DIR: 'off'}, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const atStart = pageRequests
    const deadline = Date.now() + 60_000
    while (pageRequests < atStart + 3 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
    expect(stderr, 'the database opened before the crawl got going').not.toContain('"msg":"database open"')
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const killedId = /execution ([0-9a-f-]{36})/.exec(stderr)?.[1]
    expect(killedId, stderr).toBeDefined()
    expect(await readdir(path.join(dir, 'output', 'db.pending-executions'))).toEqual([`${killedId}.json`])

    const next = await runCli(['run', 'crawl.yaml', '--no-tui', '--init-payload', init], {cwd: dir, timeoutMs: 180_000})
    expect(next.code, next.stderr).toBe(0)
    expect(next.stderr).toContain(`now interrupted: ${killedId}`)
    expect(existsSync(path.join(dir, 'output', 'db.pending-executions'))).toBe(false)

    const resumed = await runCli(['run', '--resume', killedId!, '--json'], {cwd: dir, timeoutMs: 180_000})
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({execution_id: killedId, status: 'completed', pipeline: 'crash-crawl'})
  }, 400_000)
})
