import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {runCli} from '../helpers/cli.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'
import {startTestSite, type TestSite} from '../helpers/test-site.js'

const PIPELINE = `version: "1.0"
name: site-translate-embed
error_handling: {max_retries: 1, retry_delay_seconds: 0.1, dead_letter_queue: /queue/dlq}
routes:
  crawl:
    inbound: {queue: /queue/crawl}
    adapters:
      - type: sitemap_parser
        config: {exclude: ["\\\\.pdf$"]}
      - type: url_expander
      - type: web_scraper
    outbound: [{queue: /queue/pages}]
  pages:
    inbound: {queue: /queue/pages, concurrency: 2}
    adapters:
      - type: html_to_markdown
      - type: smart_segmenter
        config: {max_tokens: 128, min_tokens: 8}
      - type: segment_publisher
    outbound: [{queue: /queue/translate}]
  translate:
    inbound: {queue: /queue/translate, concurrency: 4}
    adapters:
      - type: llm_translator
        config: {provider: default, target_language: de}
      - type: embedding_generator
        config: {provider: local}
init_message:
  route: crawl
  payload: {sitemap_url: "http://placeholder/sitemap.xml"}
`

let site: TestSite
let llm: FakeLlmServer
let work: string
beforeAll(async () => {
  site = await startTestSite()
  llm = await startFakeLlmServer({respond: (request) => `SOURCE_LANGUAGE: en\n\n${request.messages.at(-1)!.content.toUpperCase()}`})
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-incremental-cli-'))
  await writeFile(path.join(work, 'pipeline.yaml'), PIPELINE)
  await writeFile(path.join(work, 'factflow.yaml'), `llm:\n  providers:\n    - {name: fake, provider_type: openai_compatible, base_url: "${llm.openaiBaseUrl}", model: fake}\n`)
})
afterAll(async () => {
  await site.close()
  await llm.close()
  await rm(work, {recursive: true, force: true})
})

describe('factflow run twice over an unchanged site (built binary)', () => {
  async function run() {
    llm.reset()
    const result = await runCli(['run', 'pipeline.yaml', '--json', '--set', `sitemap_url=${site.url}/sitemap_index.xml`],
      {cwd: work, timeoutMs: 150_000, env: {FACTFLOW_SETTINGS: undefined}})
    expect(result.code, result.stderr).toBe(0)
    return {summary: JSON.parse(result.stdout), requests: llm.requestCount}
  }

  async function vectors(): Promise<number> {
    const db = await openDatabase(path.join(work, 'output', 'db'), {pgliteWorker: false})
    try {
      return (await db.query<{n: number}>('SELECT count(*)::int AS n FROM embeddings')).rows[0]!.n
    } finally {
      await db.close()
    }
  }

  it('makes no LLM request and embeds nothing the second time, and says so in its summary', async () => {
    const first = await run()
    const segments = first.summary.routes.translate.received
    expect(segments).toBeGreaterThan(0)
    expect(first.requests).toBe(segments)
    expect(first.summary.routes.translate).toMatchObject({embedded: segments, unchanged: 0})
    const stored = await vectors()
    expect(stored).toBe(segments)

    const second = await run()
    expect(second.requests).toBe(0)
    expect(second.summary.routes.pages).toMatchObject({received: 7, unchanged: 7})
    expect(second.summary.routes.translate).toMatchObject({received: segments, unchanged: segments, embedded: 0})
    expect(await vectors()).toBe(stored)
  }, 400_000)
})
