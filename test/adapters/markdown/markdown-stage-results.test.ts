import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {htmlToMarkdownConfig, smartSegmenterConfig} from '../../../src/adapters/markdown/catalog.js'
import {createAdapter as createHtmlToMarkdown} from '../../../src/adapters/markdown/html-to-markdown.js'
import {createAdapter as createSmartSegmenter} from '../../../src/adapters/markdown/smart-segmenter.js'
import type {AdapterOutput, AdapterResources} from '../../../src/adapters/types.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {databaseTargets, type MigratedDatabase} from '../../helpers/migrated-database.js'
import {contextFor, createScratchStorage, readFixture, resourcesFor} from './context.js'

const EXECUTION = '01890a5d-ac96-774b-bcce-b302099a8057'

const GUIDE = [
  '# Guide', 'An introduction that is long enough to stand alone as one segment of the guide. '.repeat(3).trim(),
  '## Install', 'Run the installer. '.repeat(20).trim(), '```bash\nnpm install --global factflow\n```',
  '## Use', 'Start a run and follow it until it completes. '.repeat(12).trim(),
].join('\n\n')

/** Markdown whose segments' JSON is well over 64 KiB. */
const HANDBOOK = Array.from({length: 120}, (_, i) => `## Chapter ${i}\n\n${`Chapter ${i} explains one more part of the handbook in plain words. `.repeat(12)}`).join('\n\n')

describe.each(await databaseTargets())('stored stage results of the markdown adapters on $name', ({skip, open}) => {
  let target: MigratedDatabase
  let storage: FileObjectStore
  let removeStorage: () => Promise<void>
  let resources: AdapterResources

  beforeAll(async () => {
    if (skip) return
    target = await open()
    ;({storage, remove: removeStorage} = await createScratchStorage())
    resources = {...resourcesFor(storage), database: async () => target.db}
  }, 60_000)
  afterAll(async () => {
    await target?.dispose()
    await removeStorage?.()
  })
  beforeEach(async () => {
    if (!skip) await target.db.query('DELETE FROM stage_results')
  })

  /** One adapter per call, as each run builds its own: only the database carries results over. */
  async function segment(payload: Record<string, unknown>, config: Record<string, unknown> = {}, messageId = 'msg-1') {
    const adapter = await createSmartSegmenter(smartSegmenterConfig.parse(config), resources)
    const context = contextFor(storage, payload, {stage: 'segment', messageId, metadata: {}})
    const output = (await adapter.process({...context, executionId: EXECUTION})) as AdapterOutput
    await adapter.close?.()
    return {output, skipped: context.skipped}
  }

  async function convert(payload: Record<string, unknown>, config: Record<string, unknown> = {}, messageId = 'msg-1') {
    const adapter = createHtmlToMarkdown(htmlToMarkdownConfig.parse(config), resources)
    const context = contextFor(storage, payload, {stage: 'markdown', messageId})
    const output = (await adapter.process({...context, executionId: EXECUTION})) as AdapterOutput
    await adapter.close?.()
    return {output, skipped: context.skipped}
  }

  const storedRows = async (adapterType: string) =>
    (await target.db.query<{n: number}>('SELECT count(*)::int AS n FROM stage_results WHERE adapter_type = $1', [adapterType])).rows[0]!.n

  describe('smart_segmenter', () => {
    it.skipIf(skip)('emits the same segments for the same markdown and config on the next run, marked unchanged', async () => {
      const first = await segment({markdown: GUIDE, url: 'https://example.org/guide'}, {max_tokens: 128, min_tokens: 16})
      expect(first.skipped).toEqual([])
      const second = await segment({markdown: GUIDE, url: 'https://example.org/guide'}, {max_tokens: 128, min_tokens: 16})
      expect(second.skipped).toEqual(['unchanged'])
      expect(second.output).toEqual(first.output)
      expect(await storedRows('smart_segmenter')).toBe(1)
    })

    it.skipIf(skip)('reuses what is stored rather than cutting again', async () => {
      await segment({markdown: GUIDE})
      await target.db.query(`UPDATE stage_results SET output = $1 WHERE adapter_type = 'smart_segmenter'`,
        [JSON.stringify({segments: [{index: 0, text: 'stored', token_count: 1, heading_path: []}]})])
      const {output} = await segment({markdown: GUIDE})
      expect(output.payload).toMatchObject({segment_count: 1, segments: [{text: 'stored'}]})
    })

    it.skipIf(skip)('stores where each segment sits in the markdown, not its text again', async () => {
      const storedRow = async () => (await target.db.query<{output: string}>(`SELECT output FROM stage_results WHERE adapter_type = 'smart_segmenter'`)).rows[0]!.output
      const first = await segment({markdown: GUIDE}, {max_tokens: 64, min_tokens: 8})
      expect((first.output.payload.segments as unknown[]).length).toBeGreaterThan(2)
      const stored = JSON.parse(await storedRow()) as {segments: Array<{at?: [number, number], text?: string}>}
      expect(stored.segments.every((segment) => segment.text === undefined && segment.at !== undefined)).toBe(true)
      expect(await storedRow()).not.toContain('Run the installer.')
      const second = await segment({markdown: GUIDE}, {max_tokens: 64, min_tokens: 8})
      expect(second.skipped).toEqual(['unchanged'])
      expect(second.output).toEqual(first.output)

      // An overlap that joins two pieces of one paragraph is not in the markdown verbatim: that
      // segment keeps its text, the others their spans, and the segments come back the same.
      await target.db.query('DELETE FROM stage_results')
      const overlapping = await segment({markdown: GUIDE}, {max_tokens: 64, min_tokens: 8, overlap_tokens: 16})
      const withOverlap = JSON.parse(await storedRow()) as {segments: Array<{at?: [number, number], text?: string}>}
      expect(withOverlap.segments.some((segment) => segment.at !== undefined)).toBe(true)
      expect(withOverlap.segments.some((segment) => segment.text !== undefined)).toBe(true)
      const again = await segment({markdown: GUIDE}, {max_tokens: 64, min_tokens: 8, overlap_tokens: 16})
      expect(again.skipped).toEqual(['unchanged'])
      expect(again.output).toEqual(overlapping.output)
    })

    it.skipIf(skip)('cuts again when a stored span does not fit the markdown', async () => {
      const first = await segment({markdown: GUIDE})
      await target.db.query(`UPDATE stage_results SET output = $1 WHERE adapter_type = 'smart_segmenter'`,
        [JSON.stringify({segments: [{index: 0, token_count: 1, heading_path: [], at: [0, GUIDE.length + 1]}]})])
      const second = await segment({markdown: GUIDE})
      expect(second.skipped).toEqual([])
      expect(second.output).toEqual(first.output)
    })

    it.skipIf(skip)('cuts again when the markdown changes, or max_tokens or the encoding differ', async () => {
      await segment({markdown: GUIDE}, {max_tokens: 128, min_tokens: 16})
      for (const [markdown, config] of [
        [`${GUIDE}\n\nOne more line.`, {max_tokens: 128, min_tokens: 16}],
        [GUIDE, {max_tokens: 256, min_tokens: 16}],
        [GUIDE, {max_tokens: 128, min_tokens: 16, encoding: 'o200k_base'}],
      ] as const) {
        expect((await segment({markdown}, config)).skipped).toEqual([])
      }
      expect(await storedRows('smart_segmenter')).toBe(4)
    })

    it.skipIf(skip)('writes reused segments over 64 KiB to this message\'s own storage key', async () => {
      const first = await segment({markdown: HANDBOOK}, {}, 'msg-a')
      const second = await segment({markdown: HANDBOOK}, {}, 'msg-b')
      expect(second.skipped).toEqual(['unchanged'])
      expect(first.output.payload.segments_storage_key).toBe('executions/exec-1/docs/segment/msg-a.segments.json')
      expect(second.output.payload.segments_storage_key).toBe('executions/exec-1/docs/segment/msg-b.segments.json')
      const stored = async (key: unknown) => (await storage.get(key as string)).body.toString('utf8')
      expect(await stored(second.output.payload.segments_storage_key)).toBe(await stored(first.output.payload.segments_storage_key))
    })
  })

  describe('html_to_markdown', () => {
    const page = async () => ({html: await readFixture('docs-page.html'), url: 'https://docs.example.org/guide/pipelines.html'})

    it.skipIf(skip)('emits the same markdown for the same page on the next run, marked unchanged, with this message\'s provenance', async () => {
      const first = await convert({...await page(), document_id: 'doc-1', content_hash: 'html-1'})
      expect(first.skipped).toEqual([])
      const second = await convert({...await page(), document_id: 'doc-1', content_hash: 'html-1'})
      expect(second.skipped).toEqual(['unchanged'])
      expect(second.output).toEqual(first.output)
      const renamed = await convert({...await page(), document_id: 'doc-2'})
      expect(renamed.skipped).toEqual(['unchanged'])
      expect(renamed.output.payload).toMatchObject({document_id: 'doc-2', markdown: first.output.payload.markdown})
      expect(renamed.output.payload.source_content_hash).toBeUndefined()
    })

    it.skipIf(skip)('converts again for another base URL (links resolve against it) or another config', async () => {
      await convert(await page())
      expect((await convert({...await page(), url: 'https://mirror.example.net/guide/pipelines.html'})).skipped).toEqual([])
      expect((await convert(await page(), {preserve_links: false})).skipped).toEqual([])
      expect(await storedRows('html_to_markdown')).toBe(3)
    })

    it.skipIf(skip)('stores nothing for a page without content: it fails alike on every run', async () => {
      const empty = {html: '<html><body><nav>Home</nav><script>x()</script></body></html>', url: 'https://example.org/empty'}
      for (let run = 0; run < 2; run++) await expect(convert(empty)).rejects.toMatchObject({code: 'HTML_NO_CONTENT'})
      expect(await storedRows('html_to_markdown')).toBe(0)
    })

    it.skipIf(skip)('writes reused markdown over 64 KiB to this message\'s own storage key', async () => {
      const html = `<html><body><main>${Array.from({length: 400}, (_, i) => `<h2>Part ${i}</h2><p>${'Long text of the part. '.repeat(10)}</p>`).join('')}</main></body></html>`
      const first = await convert({html, url: 'https://example.org/long'}, {}, 'msg-a')
      const second = await convert({html, url: 'https://example.org/long'}, {}, 'msg-b')
      expect(second.skipped).toEqual(['unchanged'])
      expect(second.output.payload.markdown_storage_key).toBe('executions/exec-1/docs/markdown/msg-b.md')
      const stored = async (key: unknown) => (await storage.get(key as string)).body.toString('utf8')
      expect(await stored(second.output.payload.markdown_storage_key)).toBe(await stored(first.output.payload.markdown_storage_key))
    })
  })
})
