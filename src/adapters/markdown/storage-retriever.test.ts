import {noTestDatabase} from '../../../test/helpers/services.js'
import {createHash} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {NotFoundError, UnavailableError, UserInputError} from '../../errors/index.js'
import {silentLogger} from '../../logging/logger.js'
import {FileObjectStore} from '../../storage/file-object-store.js'
import type {ObjectStore} from '../../storage/types.js'
import type {AdapterContext, AdapterOutput, AdapterResources} from '../types.js'
import {createAdapter} from './storage-retriever.js'

function contextFor(storage: ObjectStore, payload: Record<string, unknown>): AdapterContext {
  return {
    message: {
      message_id: 'msg-2', correlation_id: 'corr-1', parent_id: 'msg-1', execution_id: 'exec-1', route_id: 'load',
      stage: 'retrieve', timestamp: '2026-01-01T00:00:00.000000+00:00', attempt: 1, payload, metadata: {},
    },
    payload, metadata: {}, executionId: 'exec-1', routeId: 'load', stage: 'retrieve', storage, logger: silentLogger,
    signal: new AbortController().signal,
    storageKey: (extension = '') => `executions/exec-1/load/retrieve/msg-2${extension}`,
    markSkipped: () => {},
    count: () => {},
  }
}

describe('storage_retriever', () => {
  let dir: string
  let storage: FileObjectStore
  let resources: AdapterResources
  const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')
  const run = async (payload: Record<string, unknown>, store: ObjectStore = storage) =>
    (await createAdapter({}, resources).process(contextFor(store, payload))) as AdapterOutput

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'factflow-retriever-'))
    storage = new FileObjectStore({root: dir, sync: 'off'})
    resources = {storage, logger: silentLogger, executionState: new Map(), llm: undefined as never, embedders: undefined as never, fetchers: undefined as never, files: {root: null}, cpu: undefined as never, newDatabase: false, database: noTestDatabase}
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('emits the stored text with its type, length and sha256, keeping the rest of the payload', async () => {
    const markdown = '# Überschrift\n\nText.\n'
    await storage.put('executions/e/r/s/m.md', markdown, {content_type: 'text/markdown'})
    const output = await run({storage_key: 'executions/e/r/s/m.md', url: 'https://example.org/a'})
    expect(output.payload).toEqual({
      storage_key: 'executions/e/r/s/m.md', url: 'https://example.org/a',
      content_type: 'text/markdown', content: markdown,
      content_length: Buffer.byteLength(markdown), content_hash: sha256(markdown),
    })
  })

  it('takes the hash from the store\'s metadata, and hashes the bytes when the metadata does not describe them', async () => {
    await storage.put('kept.md', '# Kept')
    const reported = {...await storage.get('kept.md')}
    // A store whose metadata names a hash for these bytes is believed (the file store checked it).
    const believed = {...storage, get: async () => ({body: reported.body, metadata: {...reported.metadata, sha256: 'a'.repeat(64)}})} as unknown as ObjectStore
    expect((await run({storage_key: 'kept.md'}, believed)).payload.content_hash).toBe('a'.repeat(64))
    // Metadata of other bytes (another length), or with no usable hash: the body is hashed.
    const otherLength = {...storage, get: async () => ({body: reported.body, metadata: {...reported.metadata, content_length: 99, sha256: 'a'.repeat(64)}})} as unknown as ObjectStore
    expect((await run({storage_key: 'kept.md'}, otherLength)).payload.content_hash).toBe(sha256('# Kept'))
    const noHash = {...storage, get: async () => ({body: reported.body, metadata: {...reported.metadata, sha256: ''}})} as unknown as ObjectStore
    expect((await run({storage_key: 'kept.md'}, noHash)).payload.content_hash).toBe(sha256('# Kept'))
    // The file store itself: bytes changed behind its back are hashed again, never described by the old sidecar.
    const {writeFileSync} = await import('node:fs')
    writeFileSync(path.join(dir, 'kept.md'), '# Edited')
    expect((await run({storage_key: 'kept.md'})).payload.content_hash).toBe(sha256('# Edited'))
  })

  it('carries title, source_url and document_id from the stored metadata into the message metadata', async () => {
    await storage.put('p.html', '<h1>T</h1>', {title: 'T', source_url: 'https://example.org/p', document_id: 'doc-7', route_id: 'crawl'})
    const output = await run({storage_key: 'p.html'})
    expect(output.metadata).toEqual({title: 'T', source_url: 'https://example.org/p', document_id: 'doc-7'})
  })

  it('emits empty metadata when the artefact has no provenance', async () => {
    await storage.put('plain.txt', 'x')
    expect((await run({storage_key: 'plain.txt'})).metadata).toEqual({})
  })

  it('omits content for binary artefacts but still reports their length and hash', async () => {
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff])
    await storage.put('doc.pdf', bytes)
    const output = await run({storage_key: 'doc.pdf', content: 'stale text from an earlier stage'})
    expect(output.payload).toEqual({storage_key: 'doc.pdf', content_type: 'application/pdf', content_length: 6, content_hash: sha256(bytes)})
  })

  it('decodes text in the charset its content type declares', async () => {
    await storage.put('latin.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]), {content_type: 'text/plain; charset=ISO-8859-1'})
    expect((await run({storage_key: 'latin.txt'})).payload.content).toBe('café')
    // windows-1252: 0x80 is €, 0x93/0x94 are curly quotes (ISO-8859-1 would give control characters).
    await storage.put('cp1252.txt', Buffer.from([0x80, 0x20, 0x93, 0x61, 0x94]), {content_type: 'text/plain; charset=windows-1252'})
    expect((await run({storage_key: 'cp1252.txt'})).payload.content).toBe('€ “a”')
  })

  it('treats JSON and other structured text types as textual', async () => {
    await storage.put('data.json', '{"a":1}')
    expect((await run({storage_key: 'data.json'})).payload.content).toBe('{"a":1}')
  })

  it('fails terminally with ARTEFACT_MISSING naming the key when the artefact is not stored', async () => {
    const error = await run({storage_key: 'executions/e/r/s/gone.md'}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'ARTEFACT_MISSING', retryable: false, hint: expect.any(String)})
    expect((error as Error).message).toContain('executions/e/r/s/gone.md')
  })

  it.each([[{}], [{storage_key: ''}], [{storage_key: 42}]])('fails terminally with a hint when the payload has no usable storage_key (%j)', async (payload) => {
    const error = await run(payload).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'PAYLOAD_FIELD_MISSING', retryable: false, hint: expect.stringContaining('storage')})
  })

  it('rejects a storage_key that escapes the store as an invalid key', async () => {
    await expect(run({storage_key: '../../etc/passwd'})).rejects.toMatchObject({code: 'STORAGE_INVALID_KEY', retryable: false})
  })

  it('passes a storage outage through as retryable', async () => {
    const down: ObjectStore = Object.assign(Object.create(storage) as ObjectStore, {
      get: async () => { throw new UnavailableError('STORAGE_UNAVAILABLE', 'S3 did not answer') },
    })
    await expect(run({storage_key: 'a.txt'}, down)).rejects.toMatchObject({code: 'STORAGE_UNAVAILABLE', retryable: true})
  })
})
