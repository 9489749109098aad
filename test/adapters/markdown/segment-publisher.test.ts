import {createHash} from 'node:crypto'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createAdapter} from '../../../src/adapters/markdown/segment-publisher.js'
import type {AdapterOutput} from '../../../src/adapters/types.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, type ContextOptions} from './context.js'

const SEGMENTS = [
  {index: 0, text: '# Guide\n\nIntro.', token_count: 6, heading_path: ['Guide']},
  {index: 1, text: '## Install\n\nRun it.', token_count: 7, heading_path: ['Guide', 'Install']},
]
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('segment_publisher', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  const publish = async (payload: Record<string, unknown>, options?: ContextOptions) =>
    (await createAdapter({}).process(contextFor(storage, payload, options))) as AdapterOutput[]

  beforeEach(async () => {
    ({storage, remove} = await createScratchStorage())
  })
  afterEach(async () => {
    await remove()
  })

  it('emits one message per segment carrying the document provenance', async () => {
    const outputs = await publish({
      segments: SEGMENTS, segment_count: 2, document_id: 'doc-9', url: 'https://example.org/guide', final_url: 'https://example.org/guide/',
      title: 'Guide', content_hash: 'dochash', token_encoding: 'cl100k_base', front_matter: {title: 'Guide'},
    })
    expect(outputs).toEqual([0, 1].map((i) => ({
      payload: {
        document_id: 'doc-9', url: 'https://example.org/guide', final_url: 'https://example.org/guide/', title: 'Guide', token_encoding: 'cl100k_base',
        document_content_hash: 'dochash', segment_index: i, segment_count: 2, text: SEGMENTS[i].text, heading_path: SEGMENTS[i].heading_path,
        token_count: SEGMENTS[i].token_count, content_hash: sha256(SEGMENTS[i].text),
      },
      metadata: {document_id: 'doc-9'},
    })))
  })

  it.each([
    ['the metadata document_id', {}, {document_id: 'meta-doc'}, 'meta-doc'],
    ['the url', {url: 'https://example.org/a'}, {}, 'https://example.org/a'],
    ['the file path', {path: '/srv/docs/a.md'}, {}, 'file:///srv/docs/a.md'],
    ['the content hash', {content_hash: 'abc'}, {}, 'sha256:abc'],
  ])('derives document_id from %s when the payload has none', async (_name, extra, metadata, expected) => {
    const outputs = await publish({segments: SEGMENTS, ...extra}, {metadata})
    expect(outputs.map((o) => o.payload.document_id)).toEqual([expected, expected])
  })

  it('takes the title from the metadata when the payload has none', async () => {
    const [first] = await publish({segments: SEGMENTS, url: 'u'}, {metadata: {title: 'From metadata'}})
    expect(first.payload.title).toBe('From metadata')
  })

  it('reads segments stored at segments_storage_key', async () => {
    await storage.put('executions/e/r/seg/m.segments.json', JSON.stringify(SEGMENTS), {content_type: 'application/json'})
    const outputs = await publish({segments_storage_key: 'executions/e/r/seg/m.segments.json', url: 'u'})
    expect(outputs.map((o) => o.payload.text)).toEqual(SEGMENTS.map((s) => s.text))
  })

  it('emits nothing for a document without segments', async () => {
    expect(await publish({segments: [], url: 'u'})).toEqual([])
  })

  it('fails terminally on malformed segments and on a payload without segments', async () => {
    await expect(publish({segments: [{index: 0, text: 5}]})).rejects.toMatchObject({code: 'SEGMENTS_INVALID', retryable: false})
    await storage.put('bad.json', '{not json')
    await expect(publish({segments_storage_key: 'bad.json'})).rejects.toMatchObject({code: 'SEGMENTS_INVALID'})
    await expect(publish({markdown: '# x'})).rejects.toMatchObject({code: 'PAYLOAD_FIELD_MISSING', hint: expect.stringContaining('smart_segmenter')})
    await expect(publish({segments_storage_key: 'gone.json'})).rejects.toMatchObject({code: 'ARTEFACT_MISSING'})
  })
})
