import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {smartSegmenterConfig} from '../../../src/adapters/markdown/catalog.js'
import {createAdapter} from '../../../src/adapters/markdown/smart-segmenter.js'
import type {Adapter, AdapterOutput} from '../../../src/adapters/types.js'
import {UserInputError} from '../../../src/errors/index.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, type ContextOptions, resourcesFor} from './context.js'

interface Segment {index: number; text: string; token_count: number; heading_path: string[]}

const DOC = [
  '# Guide', 'An introduction that is long enough to stand alone as one segment of the guide. '.repeat(3).trim(),
  '## Install', 'Run the installer. '.repeat(20).trim(), '```bash\nnpm install --global factflow\nfactflow --version\n```',
  '## Use', 'Start a run and follow it until it completes. '.repeat(12).trim(),
].join('\n\n')

describe('smart_segmenter', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  let reference: Tiktoken
  const state = new Map<string, unknown>()
  const adapters = new Map<string, Adapter>()
  const adapter = async (config: Record<string, unknown> = {}) => {
    const key = JSON.stringify(config)
    if (!adapters.has(key)) adapters.set(key, await createAdapter(smartSegmenterConfig.parse(config), resourcesFor(storage, state)))
    return adapters.get(key)!
  }
  const run = async (payload: Record<string, unknown>, config: Record<string, unknown> = {}, options?: ContextOptions) =>
    (await (await adapter(config)).process(contextFor(storage, payload, {stage: 'segment', ...options}))) as AdapterOutput

  beforeAll(() => {
    reference = new Tiktoken(cl100k)
  }, 60_000)
  beforeEach(async () => {
    ({storage, remove} = await createScratchStorage())
  })
  afterEach(async () => {
    await remove()
  })

  it('emits segments with exact token counts and heading paths, and drops the markdown from the payload', async () => {
    const {payload} = await run({markdown: DOC, url: 'https://example.org/guide', title: 'Guide', content_hash: 'h1'}, {max_tokens: 128, min_tokens: 16})
    const segments = payload.segments as Segment[]
    expect(payload).toMatchObject({url: 'https://example.org/guide', title: 'Guide', content_hash: 'h1', segment_count: segments.length, token_encoding: 'cl100k_base'})
    expect(payload.markdown).toBeUndefined()
    expect(segments.map((s) => s.heading_path)).toEqual([['Guide'], ['Guide', 'Install'], ['Guide', 'Use']])
    for (const s of segments) {
      expect(s.token_count).toBe(reference.encode(s.text, [], []).length)
      expect(s.token_count).toBeLessThanOrEqual(128)
    }
    expect(segments[1].text).toContain('```bash\nnpm install --global factflow\nfactflow --version\n```')
  })

  it('uses the configured defaults: 512 tokens, sections under 64 tokens merged, no overlap', async () => {
    const {payload} = await run({markdown: DOC})
    const segments = payload.segments as Segment[]
    // The short introduction joins the install section; the longer usage section stands alone.
    expect(segments.map((s) => s.heading_path)).toEqual([['Guide'], ['Guide', 'Use']])
    expect(segments.map((s) => s.text).join('\n\n')).toBe(DOC)
  })

  it('reads markdown stored at markdown_storage_key', async () => {
    await storage.put('executions/e/r/md/m.md', DOC, {content_type: 'text/markdown; charset=utf-8'})
    const {payload} = await run({markdown_storage_key: 'executions/e/r/md/m.md'}, {max_tokens: 128, min_tokens: 16})
    expect(payload.segment_count).toBe(3)
    expect(payload.markdown_storage_key).toBe('executions/e/r/md/m.md')
    expect(payload.content_hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('segments a markdown file that storage_retriever loaded into content', async () => {
    const {payload} = await run({storage_key: 'files/guide.md', content: DOC, content_type: 'text/markdown', path: '/docs/guide.md'}, {max_tokens: 128, min_tokens: 16})
    expect(payload.segment_count).toBe(3)
    expect(payload.content).toBeUndefined()
    expect(payload).toMatchObject({storage_key: 'files/guide.md', path: '/docs/guide.md'})
  })

  it('stores segments as JSON and emits segments_storage_key when they would make the envelope large', async () => {
    const section = (i: number) => `## Part ${i}\n\n${`Sentence ${i} of a long manual that goes on. `.repeat(30)}`
    const markdown = Array.from({length: 60}, (_, i) => section(i)).join('\n\n')
    const {payload, metadata} = await run({markdown, document_id: 'manual'}, {max_tokens: 256, min_tokens: 16})
    expect(payload.segments).toBeUndefined()
    expect(payload.segments_storage_key).toBe('executions/exec-1/docs/segment/msg-2.segments.json')
    const stored = await storage.get(payload.segments_storage_key as string)
    const segments = JSON.parse(stored.body.toString('utf8')) as Segment[]
    expect(segments).toHaveLength(payload.segment_count as number)
    expect(segments.filter((s) => s.heading_path[0] === 'Part 5').map((s) => s.text).join(' ')).toContain('Sentence 5 of a long manual')
    expect(stored.metadata).toMatchObject({content_type: 'application/json', document_id: 'manual'})
    expect(metadata).toEqual({storage_keys: ['executions/exec-1/docs/segment/msg-2.segments.json']})
    expect(JSON.stringify(payload).length).toBeLessThan(1024)
  })

  it('applies overlap_tokens between consecutive prose segments', async () => {
    const markdown = `# Notes\n\n${'One sentence about queues and routes. '.repeat(60)}`
    const {payload} = await run({markdown}, {max_tokens: 64, min_tokens: 0, overlap_tokens: 16})
    const segments = payload.segments as Segment[]
    expect(segments.length).toBeGreaterThan(2)
    const [overlap] = segments[1].text.split('\n\n')
    expect(segments[0].text.endsWith(overlap)).toBe(true)
    for (const s of segments) expect(s.token_count).toBeLessThanOrEqual(64)
  })

  it('counts with the configured encoding', async () => {
    const {payload} = await run({markdown: 'Ünïcödé text with emoji 🙂 and numbers 1234567.'}, {encoding: 'o200k_base'})
    expect(payload.token_encoding).toBe('o200k_base')
    const o200k = new Tiktoken((await import('js-tiktoken/ranks/o200k_base')).default)
    const [segment] = payload.segments as Segment[]
    expect(segment.token_count).toBe(o200k.encode(segment.text, [], []).length)
  }, 60_000)

  it('emits zero segments for empty markdown', async () => {
    const {payload} = await run({markdown: '   \n'})
    expect(payload).toMatchObject({segments: [], segment_count: 0})
  })

  it('fails terminally with a hint when the payload has no markdown', async () => {
    const error = await run({url: 'https://example.org'}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'PAYLOAD_FIELD_MISSING', retryable: false, hint: expect.stringContaining('html_to_markdown')})
  })

  it('stops when the execution is cancelled', async () => {
    const controller = new AbortController()
    controller.abort(new Error('cancelled'))
    await expect(run({markdown: DOC}, {}, {signal: controller.signal})).rejects.toThrow('cancelled')
  })

  it('rejects a config whose overlap is not below max_tokens or whose min exceeds max', () => {
    expect(smartSegmenterConfig.safeParse({max_tokens: 64, overlap_tokens: 64}).success).toBe(false)
    expect(smartSegmenterConfig.safeParse({max_tokens: 64, min_tokens: 65}).success).toBe(false)
    expect(smartSegmenterConfig.parse({})).toEqual({max_tokens: 512, min_tokens: 64, overlap_tokens: 0, encoding: 'cl100k_base'})
  })
})
