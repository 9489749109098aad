import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'
import {startTestSite, type TestSite} from '../helpers/test-site.js'

/**
 * The shipped embedding pipelines end to end on each broker: a folder (folder-to-embeddings) and
 * a crawl of a served site (sitemap-to-embeddings) into one embedded database per broker, which
 * must hold the same segments and vectors as with `memory://`.
 */
const FOLDER = path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml')
const CRAWL = path.join(PROJECT_ROOT, 'config/pipelines/sitemap-to-embeddings.yaml')
const pulsar = await pulsarTestBroker()
const brokers = [
  {name: 'amqp', url: AMQP_URL, available: await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)},
  {name: 'stomp', url: STOMP_URL, available: await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)},
  {name: 'pulsar', url: pulsar.url, available: pulsar.available},
]
let work: string
let site: TestSite

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-embed-brokers-'))
  site = await startTestSite()
  await mkdir(path.join(work, 'docs', 'nested'), {recursive: true})
  for (let i = 0; i < 6; i++) {
    const paragraphs = Array.from({length: 3 + i}, (_, p) => `Paragraph ${p} of document ${i} talks about ${['brokers', 'queues', 'vectors', 'lineage'][p % 4]} at length. `.repeat(8))
    await writeFile(path.join(work, 'docs', `doc-${i}.md`), `# Document ${i}\n\n${paragraphs.join('\n\n')}\n`)
  }
  await writeFile(path.join(work, 'docs', 'nested', 'page.html'), '<html><body><h1>Nested page</h1><p>HTML converted to markdown before it is cut.</p></body></html>')
  await writeFile(path.join(work, 'docs', 'notes.txt'), 'Plain text notes about dead-letter queues.\n')
})
afterAll(async () => {
  await site.close()
  await pulsar.close()
  await rm(work, {recursive: true, force: true})
})

interface RunResult {
  summaries: Array<{status: string; messages: Record<string, number>; routes: Record<string, {embedded: number}>}>
  /** Every embedding row: document, segment, content hash and the vector as text. */
  vectors: string[]
}

async function embedOn(queue: string, label: string): Promise<RunResult> {
  const cwd = path.join(work, label)
  await mkdir(cwd)
  const summaries: RunResult['summaries'] = []
  for (const [pipeline, env] of [[FOLDER, {DOCS_DIR: path.join(work, 'docs'), FACTFLOW_FILES_ROOT: work}], [CRAWL, {SITEMAP_URL: `${site.url}/sitemap_index.xml`}]] as const) {
    const result = await runCli(['run', pipeline, '--json', '--queue', queue], {cwd, env: {...env, FACTFLOW_DB_WORKER_NICE: '0'}, timeoutMs: 240_000})
    // Exit 3: completed with dead letters (the site's sitemap lists a PDF, which html_to_markdown refuses).
    expect([0, 3], `${label} ${path.basename(pipeline)}: ${result.stderr}`).toContain(result.code)
    summaries.push(JSON.parse(result.stdout))
  }
  const db = await openDatabase(path.join(cwd, 'output', 'db'), {pgliteWorker: false})
  try {
    const {rows} = await db.query<{row: string}>(`SELECT concat_ws(' ', document_id, segment_index, content_hash, embedding::text) AS row
      FROM embeddings ORDER BY document_id, segment_index`)
    return {summaries, vectors: rows.map((r) => r.row)}
  } finally {
    await db.close()
  }
}

describe('the embedding pipelines on real brokers (built binary)', () => {
  let memory: RunResult
  beforeAll(async () => {
    memory = await embedOn('memory://', 'memory')
    expect(memory.summaries.map((s) => s.status)).toEqual(['completed', 'completed'])
    // 8 files and the site's 7 HTML pages, several segments for the longer documents; the PDF dead-lettered.
    expect(memory.summaries[1]!.messages.dead_lettered).toBe(1)
    expect(memory.vectors.length).toBeGreaterThan(15)
    expect(memory.vectors.filter((row) => row.startsWith('http')).length).toBeGreaterThanOrEqual(7)
  }, 600_000)

  for (const broker of brokers) {
    it.skipIf(!broker.available)(`stores the same segments and vectors on ${broker.name} as on memory:// (a folder and a crawl)`, async () => {
      const result = await embedOn(broker.url, broker.name)
      expect(result.summaries.map((s) => s.status)).toEqual(['completed', 'completed'])
      expect(result.summaries.map((s) => s.messages)).toEqual(memory.summaries.map((s) => s.messages))
      expect(result.summaries.map((s) => s.routes.embed!.embedded)).toEqual(memory.summaries.map((s) => s.routes.embed!.embedded))
      expect(result.vectors).toEqual(memory.vectors)
    }, 600_000)
  }
})
