import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {markdownAdapters} from '../../../src/adapters/markdown/catalog.js'
import type {Adapter, AdapterOutput} from '../../../src/adapters/types.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, readFixture, resourcesFor} from './context.js'

/** Builds an adapter the way the engine does: catalog declaration → config schema → lazy load → factory. */
async function build(type: string, storage: FileObjectStore, state: Map<string, unknown>, config: Record<string, unknown> = {}): Promise<Adapter> {
  const definition = markdownAdapters.find((candidate) => candidate.type === type)!
  const module = await definition.load!()
  return module.createAdapter(definition.configSchema.parse(config), resourcesFor(storage, state))
}

describe('html → markdown → segments → messages → storage', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  let reference: Tiktoken
  const state = new Map<string, unknown>()
  let stages: Record<string, Adapter>

  beforeAll(async () => {
    ({storage, remove} = await createScratchStorage())
    reference = new Tiktoken(cl100k)
    stages = {
      html: await build('html_to_markdown', storage, state),
      segment: await build('smart_segmenter', storage, state, {max_tokens: 256, min_tokens: 32, overlap_tokens: 0}),
      publish: await build('segment_publisher', storage, state),
      store: await build('markdown_storage_writer', storage, state),
    }
  }, 60_000)
  afterAll(async () => {
    await remove()
  })

  const step = async (stage: string, payload: Record<string, unknown>, metadata: Record<string, unknown> = {}, messageId = 'msg-2') =>
    (await stages[stage].process(contextFor(storage, payload, {stage, metadata, messageId}))) as AdapterOutput | AdapterOutput[]

  it('declares an implementation for every markdown adapter', () => {
    expect(markdownAdapters.filter((definition) => !definition.load).map((definition) => definition.type)).toEqual([])
  })

  it('turns a docs page into segment messages whose texts cover its content, code blocks whole', async () => {
    const html = await readFixture('handbook.html')
    const page = await step('html', {html, url: 'https://docs.example.org/handbook'}) as AdapterOutput
    const segmented = await step('segment', page.payload, page.metadata) as AdapterOutput
    const messages = await step('publish', segmented.payload, segmented.metadata) as AdapterOutput[]
    expect(messages.length).toBe(segmented.payload.segment_count)
    expect(messages.length).toBeGreaterThan(5)
    for (const [i, message] of messages.entries()) {
      const {payload} = message
      expect(payload).toMatchObject({document_id: 'https://docs.example.org/handbook', segment_index: i, title: 'Operator Handbook | Factflow'})
      expect(payload.token_count).toBe(reference.encode(payload.text as string, [], []).length)
      const isTable = (payload.text as string).split('\n').every((line) => line.startsWith('|'))
      const isCode = (payload.text as string).startsWith('```')
      if (!isTable && !isCode) expect(payload.token_count).toBeLessThanOrEqual(256)
      expect((payload.text as string).split('\n').filter((line) => line.startsWith('```')).length % 2).toBe(0)
    }
    const yaml = messages.filter((m) => (m.payload.text as string).includes('```yaml'))
    expect(yaml).toHaveLength(1)
    expect(yaml[0].payload.heading_path).toEqual(['Operator Handbook', 'Configuration', 'Settings file'])
    expect(yaml[0].payload.text).toContain('      api_key: ${OPENAI_API_KEY}\n```')
    const stored = await step('store', segmented.payload, segmented.metadata) as AdapterOutput
    expect((stored.metadata!.storage_keys as string[]).length).toBe(messages.length)
  })

  it('passes a large document between stages by storage key only', async () => {
    const sections = Array.from({length: 40}, (_, i) => `<h2>Chapter ${i}</h2>${'<p>Every chapter repeats the operating rules at length so that the page is large. </p>'.repeat(25)}`)
    const html = `<html><head><title>Manual</title></head><body><main><h1>Manual</h1>${sections.join('')}</main></body></html>`
    const page = await step('html', {html, url: 'https://docs.example.org/manual'}, {}, 'big-1') as AdapterOutput
    expect(page.payload.markdown).toBeUndefined()
    expect(page.payload.markdown_storage_key).toBeDefined()
    const segmented = await step('segment', page.payload, page.metadata, 'big-1') as AdapterOutput
    expect(segmented.payload.segments).toBeUndefined()
    expect(segmented.payload.segments_storage_key).toBeDefined()
    expect(segmented.metadata!.storage_keys).toEqual([page.payload.markdown_storage_key, segmented.payload.segments_storage_key])
    for (const envelope of [page, segmented]) expect(Buffer.byteLength(JSON.stringify(envelope))).toBeLessThan(4096)
    const messages = await step('publish', segmented.payload, segmented.metadata, 'big-1') as AdapterOutput[]
    expect(messages).toHaveLength(segmented.payload.segment_count as number)
    expect(messages.map((m) => m.payload.heading_path as string[]).filter((p) => p[1] === 'Chapter 39').length).toBeGreaterThan(0)
    const stored = await step('store', segmented.payload, segmented.metadata, 'big-1') as AdapterOutput
    expect((stored.metadata!.storage_keys as string[])[0]).toBe(page.payload.markdown_storage_key)
  })
})
