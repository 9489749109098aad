import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {startTestSite, type TestSite} from '../helpers/test-site.js'

const PIPELINE = `version: "1.0"
name: crawl-to-markdown
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
      - type: markdown_storage_writer
init_message:
  route: crawl
  payload: {sitemap_url: "http://placeholder/sitemap.xml"}
`

let site: TestSite
let work: string
beforeAll(async () => {
  site = await startTestSite()
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-crawl-'))
  await writeFile(path.join(work, 'crawl.yaml'), PIPELINE)
})
afterAll(async () => {
  await site.close()
  await rm(work, {recursive: true, force: true})
})

describe('factflow run: crawl a served site into markdown and segments', () => {
  it('fetches every page of the sitemap index once, converts it, segments it and stores the markdown', async () => {
    const result = await runCli(['run', 'crawl.yaml', '--json', '--database', 'memory://', '--set', `sitemap_url=${site.url}/sitemap_index.xml`], {cwd: work, timeoutMs: 120_000})
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout)
    // /, /a, /b, /docs/1, /docs/2 from the plain sitemap; /c, /docs/3 from the gzipped one; /a once.
    expect(summary.routes.crawl).toMatchObject({completed: 1, dead_lettered: 0})
    expect(summary.routes.pages).toMatchObject({received: 7, completed: 7, dead_lettered: 0})
    expect(site.requests('/a')).toBe(1)
    expect(site.requests('/file.pdf')).toBe(0)
    const stageDir = path.join(work, 'output', 'storage', 'executions', summary.execution_id, 'pages', 'markdown_storage_writer')
    const files = await readdir(stageDir, {recursive: true})
    // smart_segmenter hands on segments (not the whole markdown): one folder of segments per page.
    const segments = files.filter((f) => /\/segments\/\d+\.md$/.test(f))
    expect(new Set(segments.map((f) => f.split('/')[0])).size).toBe(7)
    const texts = await Promise.all(segments.map((f) => readFile(path.join(stageDir, f), 'utf8')))
    expect(texts.some((text) => /Page A/.test(text) && /Alpha/.test(text))).toBe(true)
    const meta = JSON.parse(await readFile(path.join(stageDir, `${segments[0]}.meta.json`), 'utf8'))
    expect(meta.source_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
  }, 150_000)
})
