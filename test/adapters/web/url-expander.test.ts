import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {AdapterOutput} from '../../../src/adapters/types.js'
import {urlExpanderConfig} from '../../../src/adapters/web/catalog.js'
import {createAdapter} from '../../../src/adapters/web/url-expander.js'
import {UserInputError} from '../../../src/errors/index.js'
import {createWebHarness, failure, type WebHarness} from './helpers.js'

describe('url_expander', () => {
  let harness: WebHarness
  beforeEach(async () => {
    harness = await createWebHarness()
  })
  afterEach(() => harness.close())

  const expander = (config: Record<string, unknown> = {}) => createAdapter(urlExpanderConfig.parse(config), harness.resources)
  const urlsOf = (result: unknown) => (result as AdapterOutput[]).map((out) => out.payload.url)

  it('emits one { url } message per URL, in order', async () => {
    const result = await expander().process(harness.context({urls: ['https://example.com/a', 'https://example.com/b']}))
    expect(result).toEqual([{payload: {url: 'https://example.com/a'}}, {payload: {url: 'https://example.com/b'}}])
  })

  it('drops duplicates within one message, fragments ignored', async () => {
    const result = await expander().process(harness.context({urls: ['https://example.com/a', 'https://example.com/a#top', 'https://example.com/a']}))
    expect(urlsOf(result)).toEqual(['https://example.com/a'])
  })

  it('does not emit a URL again that another message of the execution emitted, across adapter instances', async () => {
    const first = await expander().process(harness.context({urls: ['https://example.com/a', 'https://example.com/b']}, {messageId: 'm1'}))
    const second = await expander().process(harness.context({urls: ['https://example.com/b', 'https://example.com/c']}, {messageId: 'm2'}))
    expect(urlsOf(first)).toEqual(['https://example.com/a', 'https://example.com/b'])
    expect(urlsOf(second)).toEqual(['https://example.com/c'])
  })

  it('emits the same URLs again when the same message is redelivered', async () => {
    const adapter = expander()
    const payload = {urls: ['https://example.com/a', 'https://example.com/b']}
    await adapter.process(harness.context(payload, {messageId: 'm1'}))
    expect(urlsOf(await adapter.process(harness.context(payload, {messageId: 'm1'})))).toEqual(['https://example.com/a', 'https://example.com/b'])
  })

  it('does not share URLs between executions', async () => {
    await expander().process(harness.context({urls: ['https://example.com/a']}, {messageId: 'm1'}))
    const other = await createWebHarness()
    try {
      const adapter = createAdapter(urlExpanderConfig.parse({}), other.resources)
      expect(urlsOf(await adapter.process(other.context({urls: ['https://example.com/a']}, {messageId: 'm2'})))).toEqual(['https://example.com/a'])
    } finally {
      await other.close()
    }
  })

  it('emits at most max_urls messages and leaves the rest unclaimed', async () => {
    const urls = ['https://example.com/1', 'https://example.com/2', 'https://example.com/3']
    expect(urlsOf(await expander({max_urls: 2}).process(harness.context({urls}, {messageId: 'm1'})))).toEqual(urls.slice(0, 2))
    expect(urlsOf(await expander().process(harness.context({urls}, {messageId: 'm2'})))).toEqual(urls.slice(2))
  })

  it('skips entries that are not http(s) URLs with a warning', async () => {
    const result = await expander().process(harness.context({urls: ['https://example.com/a', 'mailto:x@example.com', 42, 'relative/path']}))
    expect(urlsOf(result)).toEqual(['https://example.com/a'])
    expect(harness.logger.entries).toContainEqual(expect.objectContaining({level: 'warn', fields: {invalid: 3}}))
  })

  it('ends the chain when every URL was already emitted', async () => {
    await expander().process(harness.context({urls: ['https://example.com/a']}, {messageId: 'm1'}))
    expect(await expander().process(harness.context({urls: ['https://example.com/a']}, {messageId: 'm2'}))).toEqual([])
  })

  it('fails terminally with a hint when the payload has no urls list', async () => {
    const error = await failure(expander().process(harness.context({url: 'https://example.com/a'})))
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'PAYLOAD_FIELD_MISSING', retryable: false, hint: expect.stringContaining('sitemap_parser')})
  })
})
