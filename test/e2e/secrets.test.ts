import {readdir, readFile, mkdtemp, rm, writeFile} from 'node:fs/promises'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {runCli} from '../helpers/cli.js'

// A value no test, fixture or default contains: finding it anywhere means it leaked.
const SECRET = 'sk-trust-8f3a91c2e7d54b06'
const PASSWORD = 'pw-trust-61d0e2b9'

let work: string
let server: http.Server
let siteUrl: string
let authorised = 0

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name))
}

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = []
  for (const file of await filesUnder(dir)) {
    if ((await readFile(file)).includes(Buffer.from(needle))) found.push(path.relative(dir, file))
  }
  return found
}

const PIPELINE = `version: "1.0"
name: secret-header
init_message:
  route: fetch
routes:
  fetch:
    inbound: { queue: /queue/secret.fetch }
    adapters:
      - type: web_scraper
        config:
          timeout: 5
          respect_robots_txt: false
          headers:
            Authorization: "Bearer \${FACTFLOW_TEST_TOKEN}"
            X-Api-Key: \${FACTFLOW_TEST_TOKEN}
`

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-secrets-'))
  server = http.createServer((request, response) => {
    // The header must arrive substituted: the secret is used, only never stored or shown.
    if (request.headers.authorization === `Bearer ${SECRET}`) {
      authorised++
      response.writeHead(200, {'content-type': 'text/html'}).end('<html><head><title>Private</title></head><body><h1>Private</h1><p>ok</p></body></html>')
    } else {
      response.writeHead(401).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`
  await writeFile(path.join(work, 'secret.yaml'), PIPELINE)
  // E303 (a string where a number goes) and E103 (an unknown type) quote the substituted value.
  await writeFile(path.join(work, 'invalid.yaml'), `${PIPELINE.replace('timeout: 5', 'timeout: ${FACTFLOW_TEST_TOKEN}')}      - type: made_up_\${FACTFLOW_TEST_TOKEN}\n`)
})
afterAll(async () => {
  server?.close()
  await rm(work, {recursive: true, force: true})
})

const env = {FACTFLOW_TEST_TOKEN: SECRET, FACTFLOW_LOG_LEVEL: 'debug'}

describe('secrets substituted into a pipeline stay out of the database, artefacts, logs and output', () => {
  it('factflow run (--json and text) uses the secret but stores and prints only its placeholder', async () => {
    const json = await runCli(['run', 'secret.yaml', '--json', '--init-payload', JSON.stringify({url: siteUrl})], {cwd: work, env, timeoutMs: 120_000})
    expect(json.code, json.stderr).toBe(0)
    const text = await runCli(['run', 'secret.yaml', '--no-tui', '--set', `url=${siteUrl}`], {cwd: work, env, timeoutMs: 120_000})
    expect(text.code, text.stderr).toBe(0)
    expect(authorised).toBe(2)
    for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) expect(out).not.toContain(SECRET)

    const summary = JSON.parse(json.stdout) as {execution_id: string}
    const db = await openDatabase(path.join(work, 'output', 'db'), {pgliteWorker: false})
    try {
      const {rows: [execution]} = await db.query<{config_snapshot: {routes: {fetch: {adapters: Array<{config: {headers: Record<string, string>}}>}}}}>(
        'SELECT config_snapshot FROM executions WHERE id = $1', [summary.execution_id])
      // The placeholder is kept where the file had it, so a resume can substitute it again.
      expect(execution!.config_snapshot.routes.fetch.adapters[0]!.config.headers).toEqual({
        Authorization: 'Bearer ${FACTFLOW_TEST_TOKEN}', 'X-Api-Key': '${FACTFLOW_TEST_TOKEN}',
      })
      for (const table of ['executions', 'lineage', 'execution_events', 'dead_letters', 'stage_results']) {
        const {rows} = await db.query<{row: string}>(`SELECT t::text AS row FROM ${table} t`)
        expect(rows.filter((row) => row.row.includes(SECRET)), table).toEqual([])
      }
    } finally {
      await db.close()
    }
    // The raw files too: database pages and WAL, artefacts, logs.
    expect(await filesContaining(path.join(work, 'output'), SECRET)).toEqual([])
  }, 240_000)

  it.each(['text', 'json', 'github'])('config validate --output %s shows the placeholder, not the value', async (output) => {
    const result = await runCli(['config', 'validate', 'invalid.yaml', '--output', output], {cwd: work, env})
    expect(result.code).toBe(2)
    expect(result.stdout + result.stderr).toMatch(/E303/)
    expect(result.stdout + result.stderr).toContain('${FACTFLOW_TEST_TOKEN}')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })

  it('an invalid pipeline run through factflow run prints its report without the value', async () => {
    const result = await runCli(['run', 'invalid.yaml', '--no-tui'], {cwd: work, env})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/E303/)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })
})

describe('URL passwords in rejected flags', () => {
  it.each([
    ['--storage', `s3://AKIAEXAMPLE:${PASSWORD}@bucket/prefix`],
    ['--storage', `ftp://user:${PASSWORD}@host/dir`],
    ['--database', `mysql://user:${PASSWORD}@127.0.0.1:3306/db`],
    ['--database', `postgres://user:${PASSWORD}@127.0.0.1:1/db`],
    ['--queue', `kafka://user:${PASSWORD}@127.0.0.1:9092`],
  ])('%s %s: the error names the URL with *** for its password', async (flag, value) => {
    const result = await runCli(['run', 'secret.yaml', '--no-tui', flag, value, '--init-payload', JSON.stringify({url: siteUrl})], {
      cwd: work, env: {...env, FACTFLOW_LOG_LEVEL: 'debug'}, timeoutMs: 60_000,
    })
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
    // An unreachable PostgreSQL does not stop `factflow run` (lineage is skipped); a rejected URL does.
    if (result.code !== 0) expect(result.stdout + result.stderr).toContain(':***@')
    expect(await filesContaining(path.join(work, 'output'), PASSWORD)).toEqual([])
  }, 90_000)
})
