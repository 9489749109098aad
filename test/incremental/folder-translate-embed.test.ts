import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {openDatabase} from '../../src/db/open-database.js'
import {silentLogger} from '../../src/logging/logger.js'
import {type RunSummary, startRun} from '../../src/runtime/run-pipeline.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

/** Folder → markdown (HTML files only) → segments → translation by an OpenAI-compatible server → local embeddings. */
const PIPELINE = `version: "1.0"
name: folder-translate-embed
error_handling: {max_retries: 1, retry_delay_seconds: 0.1, dead_letter_queue: /queue/dlq}
routes:
  read:
    inbound: {queue: /queue/read}
    adapters:
      - type: directory_lister
        config: {path: "\${DOCS_DIR}", include: "**/*.{md,html}"}
      - type: file_reader
    outbound: [{queue: /queue/segment}]
  segment:
    inbound: {queue: /queue/segment, concurrency: 2}
    adapters:
      - type: storage_retriever
      - type: html_to_markdown
        condition: {field: content_type, operator: contains, value: html}
      - type: smart_segmenter
        config: {max_tokens: 128, min_tokens: 16}
      - type: segment_publisher
    outbound: [{queue: /queue/translate}]
  translate:
    inbound: {queue: /queue/translate, concurrency: 4}
    adapters:
      - type: llm_translator
        config: {provider: default, target_language: de}
      - type: embedding_generator
        config: {provider: local}
init_message: {route: read, payload: {}}
`

/** `sections` sections about `topic`, each naming it in every sentence (so every segment does). */
function sections(topic: string, count: number): string {
  return Array.from({length: count}, (_, i) => `## ${topic} part ${i}\n\n` +
    Array.from({length: 12}, (_, j) => `Sentence ${j} about ${topic} in part ${i}, long enough to count.`).join(' ')).join('\n\n')
}

let server: FakeLlmServer
let work: string
const savedSettings = process.env.FACTFLOW_SETTINGS

beforeAll(async () => {
  server = await startFakeLlmServer({respond: (request) => `SOURCE_LANGUAGE: en\n\n${request.messages.at(-1)!.content.toUpperCase()}`})
  work = await mkdtemp(path.join(tmpdir(), 'factflow-incremental-'))
  await writeFile(path.join(work, 'settings.yaml'), [
    'llm:', '  providers:', '    - name: fake', '      provider_type: openai_compatible',
    `      base_url: ${server.openaiBaseUrl}`, '      model: fake-translator',
  ].join('\n'))
  process.env.FACTFLOW_SETTINGS = path.join(work, 'settings.yaml')
})
afterAll(async () => {
  if (savedSettings === undefined) delete process.env.FACTFLOW_SETTINGS
  else process.env.FACTFLOW_SETTINGS = savedSettings
  await server.close()
  await rm(work, {recursive: true, force: true})
})

describe('incremental re-runs of folder → markdown → segments → llm_translator → embeddings', () => {
  const docs = () => path.join(work, 'docs')
  const database = () => path.join(work, 'db')

  /** One `factflow run` in-process; returns its summary and the LLM requests it made. */
  async function run(): Promise<{summary: RunSummary; prompts: string[]}> {
    server.reset()
    const handle = await startRun({
      pipelinePath: path.join(work, 'pipeline.yaml'), env: {DOCS_DIR: docs(), FACTFLOW_FILES_ROOT: work}, databaseUrl: database(),
      storageUri: `file://${path.join(work, 'storage')}`,
    }, {logger: silentLogger, registry: builtinAdapterRegistry()})
    const summary = await handle.summary
    expect(summary.status).toBe('completed')
    expect(summary.messages.dead_lettered).toBe(0)
    const prompts = server.requests.map((request) => (request.body as {messages: Array<{role: string; content: string}>}).messages.at(-1)!.content)
    return {summary, prompts}
  }

  interface VectorRow {id: string; document_id: string; segment_index: number; content_hash: string; text: string; updated_at: string}

  /** What the runs left in the database: vectors, and the skipped lineage rows of one execution by adapter. */
  async function inspect(executionId: string) {
    const db = await openDatabase(database(), {pgliteWorker: false})
    try {
      const vectors = (await db.query<VectorRow>(
        'SELECT id, document_id, segment_index, content_hash, text, updated_at::text FROM embeddings ORDER BY document_id, segment_index')).rows
      const {rows} = await db.query<{adapter_name: string; n: number}>(
        `SELECT adapter_name, count(*)::int AS n FROM lineage
          WHERE execution_id = $1 AND stage_status = 'skipped' AND metadata->>'reason' = 'unchanged' GROUP BY adapter_name`, [executionId])
      return {vectors, skipped: Object.fromEntries(rows.map((row) => [row.adapter_name, row.n]))}
    } finally {
      await db.close()
    }
  }

  it('translates and embeds everything once, reuses all of it on an unchanged re-run, and redoes only a changed file', async () => {
    await writeFile(path.join(work, 'pipeline.yaml'), PIPELINE)
    await mkdir(docs())
    await writeFile(path.join(docs(), 'queues.md'), `# queues\n\n${sections('queues', 4)}\n`)
    await writeFile(path.join(docs(), 'storage.md'), `# storage\n\n${sections('storage', 4)}\n`)
    await writeFile(path.join(docs(), 'lineage.html'),
      `<html><head><title>lineage</title></head><body><main>${sections('lineage', 3).split('\n\n')
        .map((block) => block.startsWith('## ') ? `<h2>${block.slice(3)}</h2>` : `<p>${block}</p>`).join('')}</main></body></html>`)

    // First run: every segment is translated (one request each: segments are far below a chunk) and embedded.
    const first = await run()
    const segments = first.summary.routes.translate!.received
    expect(segments).toBeGreaterThanOrEqual(9)
    expect(first.prompts).toHaveLength(segments)
    expect(first.summary.routes.translate).toMatchObject({completed: segments, embedded: segments, unchanged: 0})
    const before = await inspect(first.summary.execution_id)
    expect(before.vectors).toHaveLength(segments)
    expect(before.vectors.every((row) => row.text === row.text.toUpperCase())).toBe(true)

    // Unchanged re-run: no LLM request, nothing embedded, the same vectors; every reusing stage is skipped in lineage.
    const second = await run()
    expect(second.prompts).toEqual([])
    expect(second.summary.routes.segment).toMatchObject({received: 3, unchanged: 3})
    expect(second.summary.routes.translate).toMatchObject({received: segments, unchanged: segments, embedded: 0})
    const after = await inspect(second.summary.execution_id)
    expect(after.vectors).toEqual(before.vectors)
    expect(after.skipped).toEqual({html_to_markdown: 1, smart_segmenter: 3, llm_translator: segments, embedding_generator: segments})

    // storage.md is rewritten about archives (and shrinks): only its segments are translated and embedded again,
    // its old rows are replaced, and the other documents' rows are not touched.
    await writeFile(path.join(docs(), 'storage.md'), `# archives\n\n${sections('archives', 2)}\n`)
    const third = await run()
    const storageId = `file://${path.join(docs(), 'storage.md')}`
    const latest = await inspect(third.summary.execution_id)
    const rewritten = latest.vectors.filter((row) => row.document_id === storageId)
    expect(rewritten.length).toBeGreaterThan(0)
    expect(rewritten.map((row) => row.segment_index)).toEqual(rewritten.map((_, i) => i))
    expect(rewritten.every((row) => row.text.includes('ARCHIVES') && !row.text.includes('STORAGE'))).toBe(true)
    expect(third.prompts).toHaveLength(rewritten.length)
    expect(third.prompts.every((prompt) => prompt.includes('archives'))).toBe(true)
    expect(third.summary.routes.translate).toMatchObject({
      received: latest.vectors.length, embedded: rewritten.length, unchanged: latest.vectors.length - rewritten.length,
    })
    const others = (rows: VectorRow[]) => rows.filter((row) => row.document_id !== storageId)
    expect(others(latest.vectors)).toEqual(others(before.vectors))
    expect(latest.skipped).toMatchObject({html_to_markdown: 1, smart_segmenter: 2})
  }, 240_000)
})
