import {createHash} from 'node:crypto'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {webContentStorageConfig} from '../../../src/adapters/web/catalog.js'
import {createAdapter} from '../../../src/adapters/web/web-content-storage.js'
import {NotFoundError, UserInputError} from '../../../src/errors/index.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

describe('web_content_storage', () => {
  let harness: WebHarness
  beforeEach(async () => {
    harness = await createWebHarness()
  })
  afterEach(() => harness.close())

  const store = async (payload: Record<string, unknown>, config: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) =>
    single(await createAdapter(webContentStorageConfig.parse(config), harness.resources).process(harness.context(payload, {stage: 'store', metadata})))
  const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

  it('writes inline html under the message key with provenance and emits its length and sha256', async () => {
    const html = '<html><head><title>Café</title></head><body>é</body></html>'
    const output = await store({url: 'https://example.com/a', final_url: 'https://example.com/a/', status: 200, html})
    const key = 'executions/exec-1/crawl/store/msg-1.html'
    expect(output.payload).toEqual({
      url: 'https://example.com/a', final_url: 'https://example.com/a/', title: 'Café', storage_key: key,
      content_type: 'text/html; charset=utf-8', content_length: Buffer.byteLength(html), content_hash: sha256(html),
    })
    expect(output.metadata).toEqual({source_url: 'https://example.com/a', document_id: 'https://example.com/a', title: 'Café', content_hash: sha256(html)})
    const stored = await harness.storage.get(key)
    expect(stored.body.toString('utf8')).toBe(html)
    expect(stored.metadata).toMatchObject({
      content_type: 'text/html; charset=utf-8', source_url: 'https://example.com/a', document_id: 'https://example.com/a',
      title: 'Café', execution_id: 'exec-1', route_id: 'crawl', stage: 'store', message_id: 'msg-1', sha256: sha256(html),
    })
  })

  it('copies a body already in storage, keeping its content type and title', async () => {
    const bytes = Buffer.from('%PDF-1.4 binary')
    await harness.storage.put('executions/exec-1/crawl/fetch/msg-1.pdf', bytes, {content_type: 'application/pdf', title: 'Report'})
    const output = await store({url: 'https://example.com/r.pdf', storage_key: 'executions/exec-1/crawl/fetch/msg-1.pdf'}, {extension: '.pdf'})
    expect(output.payload).toMatchObject({
      storage_key: 'executions/exec-1/crawl/store/msg-1.pdf', content_type: 'application/pdf', title: 'Report',
      content_length: bytes.length, content_hash: sha256(bytes), final_url: 'https://example.com/r.pdf',
    })
    expect((await harness.storage.get('executions/exec-1/crawl/store/msg-1.pdf')).body).toEqual(bytes)
  })

  it('passes on an earlier run\'s artefact that web_scraper found unchanged, described by its own metadata, without storing it again', async () => {
    const html = '<html><head><title>Old</title></head><body>same</body></html>'
    const earlier = 'executions/exec-0/crawl/store/msg-1.html'
    await harness.storage.put(earlier, html, {content_type: 'text/html; charset=utf-8', title: 'Old', execution_id: 'exec-0'})
    const adapter = createAdapter(webContentStorageConfig.parse({}), harness.resources)
    const context = harness.context({
      url: 'https://example.com/a', status: 304, unchanged: true, storage_key: earlier, content_hash: sha256(html),
      content_type: 'text/html; charset=ISO-8859-1', content_length: 1,
    }, {stage: 'store'})
    const output = single(await adapter.process(context))
    expect(context.skipped).toBe('unchanged')
    expect(output.payload).toEqual({
      url: 'https://example.com/a', final_url: 'https://example.com/a', title: 'Old', storage_key: earlier,
      content_type: 'text/html; charset=utf-8', content_length: Buffer.byteLength(html), content_hash: sha256(html),
    })
    expect((await harness.storage.list('executions/exec-1/')).objects).toEqual([])
  })

  it('copies an earlier artefact whose bytes are not the ones the message claims', async () => {
    const earlier = 'executions/exec-0/crawl/store/msg-1.html'
    await harness.storage.put(earlier, '<p>v1</p>', {content_type: 'text/html; charset=utf-8', execution_id: 'exec-0'})
    const adapter = createAdapter(webContentStorageConfig.parse({}), harness.resources)
    const context = harness.context({url: 'https://example.com/a', unchanged: true, storage_key: earlier, content_hash: sha256('<p>v2</p>')}, {stage: 'store'})
    const output = single(await adapter.process(context))
    expect(context.skipped).toBeUndefined()
    expect(output.payload).toMatchObject({storage_key: 'executions/exec-1/crawl/store/msg-1.html', content_hash: sha256('<p>v1</p>')})
  })

  it('prefers the title the message already carries', async () => {
    const output = await store({url: 'https://example.com/a', html: '<title>From HTML</title>'}, {}, {title: 'From metadata'})
    expect(output.payload.title).toBe('From metadata')
  })

  it('writes the same key again when the message is redelivered', async () => {
    const first = await store({url: 'https://example.com/a', html: '<p>v1</p>'})
    const second = await store({url: 'https://example.com/a', html: '<p>v1</p>'})
    expect(second.payload.storage_key).toBe(first.payload.storage_key)
    expect((await harness.storage.list('executions/exec-1/crawl/store/')).objects).toHaveLength(1)
  })

  it('fails terminally with ARTEFACT_MISSING when the stored body is gone', async () => {
    const error = await failure(store({url: 'https://example.com/a', storage_key: 'executions/x/gone.html'}))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({code: 'ARTEFACT_MISSING', retryable: false})
  })

  it.each([[{html: '<p>x</p>'}], [{url: 'https://example.com/a'}]])('fails terminally when the url or the body is missing (%j)', async (payload) => {
    const error = await failure(store(payload))
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'PAYLOAD_FIELD_MISSING', retryable: false})
  })
})
