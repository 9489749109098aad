import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createAdapter} from '../../../src/adapters/markdown/markdown-storage-writer.js'
import type {AdapterOutput} from '../../../src/adapters/types.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, type TestContext} from './context.js'

const SEGMENTS = [
  {index: 0, text: '# Guide\n\nIntro.', token_count: 6, heading_path: ['Guide']},
  {index: 1, text: '## Install\n\nRun it.', token_count: 7, heading_path: ['Guide', 'Install']},
]
const KEY = 'executions/exec-1/docs/store/msg-2'

describe('markdown_storage_writer', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  let context: TestContext
  const write = async (payload: Record<string, unknown>, metadata: Record<string, unknown> = {}) => {
    context = contextFor(storage, payload, {stage: 'store', metadata})
    return (await createAdapter({}).process(context)) as AdapterOutput
  }

  beforeEach(async () => {
    ({storage, remove} = await createScratchStorage())
  })
  afterEach(async () => {
    await remove()
  })

  it('writes the markdown and each segment under keys derived from the message and lists them in storage_keys', async () => {
    const payload = {markdown: '# Guide\n\nIntro.\n\n## Install\n\nRun it.', segments: SEGMENTS, url: 'https://example.org/g', title: 'Guide', document_id: 'doc-1'}
    const output = await write(payload, {storage_keys: ['earlier.html']})
    expect(output.payload).toEqual(payload)
    expect(output.metadata).toEqual({storage_keys: ['earlier.html', `${KEY}.md`, `${KEY}/segments/0.md`, `${KEY}/segments/1.md`]})
    expect((await storage.get(`${KEY}.md`)).body.toString()).toBe(payload.markdown)
    const segment = await storage.get(`${KEY}/segments/1.md`)
    expect(segment.body.toString()).toBe('## Install\n\nRun it.')
    expect(segment.metadata).toMatchObject({
      content_type: 'text/markdown; charset=utf-8', title: 'Guide', source_url: 'https://example.org/g', document_id: 'doc-1',
      segment_index: 1, token_count: 7, heading_path: 'Guide > Install', stage: 'store', message_id: 'msg-2',
    })
  })

  it('references markdown already stored upstream instead of copying it, and reads stored segments', async () => {
    await storage.put('executions/e/r/seg/m.segments.json', JSON.stringify(SEGMENTS))
    const output = await write({markdown_storage_key: 'executions/e/r/md/m.md', segments_storage_key: 'executions/e/r/seg/m.segments.json'})
    expect(output.metadata!.storage_keys).toEqual(['executions/e/r/md/m.md', `${KEY}/segments/0.md`, `${KEY}/segments/1.md`])
    expect(await storage.exists(`${KEY}.md`)).toBe(false)
  })

  it('rewrites nothing on a redelivery of the same message and marks the work unchanged', async () => {
    const payload = {markdown: '# Same', segments: SEGMENTS}
    await write(payload)
    const created: string[] = []
    const stop = storage.onCreated((event) => created.push(event.key))
    await write(payload)
    stop()
    expect(created).toEqual([])
    expect(context.skipped).toEqual(['unchanged'])
    await write({...payload, markdown: '# Changed'})
    expect(context.skipped).toEqual([])
    expect((await storage.get(`${KEY}.md`)).body.toString()).toBe('# Changed')
  })

  it('names the segments folder instead of each key for a document with more than 100 segments', async () => {
    const many = Array.from({length: 101}, (_, i) => ({index: i, text: `segment ${i}`, token_count: 2, heading_path: []}))
    const output = await write({segments: many})
    expect(output.metadata!.storage_keys).toEqual([`${KEY}/segments/`])
    expect((await storage.list(`${KEY}/segments/`, {limit: 1000})).objects.filter((o) => o.key.endsWith('.md'))).toHaveLength(101)
  })

  it('writes a single segment message after segment_publisher to <key>.md', async () => {
    const output = await write({text: 'Run it.', segment_index: 3, token_count: 3, heading_path: ['Guide', 'Install'], document_id: 'doc-1'})
    expect(output.metadata).toEqual({storage_keys: [`${KEY}.md`]})
    expect((await storage.get(`${KEY}.md`)).metadata).toMatchObject({segment_index: 3, heading_path: 'Guide > Install', document_id: 'doc-1'})
  })

  it('fails terminally when there is nothing to write', async () => {
    await expect(write({url: 'u'})).rejects.toMatchObject({code: 'PAYLOAD_FIELD_MISSING', retryable: false, hint: expect.any(String)})
  })
})
