import {createHash, randomBytes} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {NotFoundError, UserInputError} from '../../src/errors/index.js'
import type {ListOptions, ObjectStore, StorageCreatedEvent, StoredObject} from '../../src/storage/types.js'

export interface ObjectStoreHarness {
  store: ObjectStore
  cleanup: () => Promise<void>
  /** Files or keys written outside the store's root or prefix (checked after rejected keys). */
  writtenOutside?: () => Promise<string[]>
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

/** The rejection a promise ends with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & {code?: string; hint?: string; retryable?: boolean}> {
  try {
    await promise
  } catch (error) {
    return error as Error & {code?: string}
  }
  throw new Error('expected a rejection')
}

async function listAll(store: ObjectStore, prefix: string, options: Omit<ListOptions, 'cursor'>) {
  const pages: Array<{objects: string[]; common_prefixes: string[]}> = []
  let cursor: string | undefined
  do {
    const page = await store.list(prefix, {...options, cursor})
    pages.push({objects: page.objects.map((object) => object.key), common_prefixes: page.common_prefixes})
    cursor = page.next_cursor
  } while (cursor !== undefined && pages.length < 100)
  return pages
}

export const INVALID_KEYS = ['../x', '/abs', 'a/../../b', 'a\\b', 'a\u0000b', '', 'a//b', 'a/', './a', 'x'.repeat(1025)]

/**
 * The behaviour every ObjectStore must show (docs/reference/engine.md, "Storage"). `makeStore` is called
 * before each test and must return an empty store; `cleanup` runs after it.
 */
export function objectStoreContract(name: string, makeStore: () => Promise<ObjectStoreHarness>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let harness: ObjectStoreHarness
    let store: ObjectStore

    beforeEach(async () => {
      harness = await makeStore()
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    const putAll = (keys: string[]) => Promise.all(keys.map((key) => store.put(key, `body of ${key}`)))

    describe('put and get', () => {
      it('returns the text it stored with computed length, sha256 and created time', async () => {
        const text = '# Title\n\nSome text with ünïcödé.\n'
        const stored = await store.put('docs/a.md', text, {content_type: 'text/markdown'})
        const {body, metadata} = await store.get('docs/a.md')
        expect(body.toString('utf8')).toBe(text)
        expect(metadata.content_type).toBe('text/markdown')
        expect(metadata.content_length).toBe(Buffer.byteLength(text))
        expect(metadata.sha256).toBe(sha256(text))
        expect(Number.isNaN(Date.parse(metadata.created_at))).toBe(false)
        expect(stored).toMatchObject({key: 'docs/a.md', size: Buffer.byteLength(text), content_type: 'text/markdown'})
        expect(stored.metadata).toEqual(metadata)
      })

      it('round-trips binary bytes unchanged', async () => {
        const bytes = Buffer.concat([Buffer.from(Array.from({length: 256}, (_, i) => i)), randomBytes(64 * 1024)])
        await store.put('bin/blob.bin', new Uint8Array(bytes))
        const {body, metadata} = await store.get('bin/blob.bin')
        expect(body.equals(bytes)).toBe(true)
        expect(metadata.sha256).toBe(sha256(bytes))
      })

      it('stores a local file streamed in (putFile) like put, leaves the file and tells created listeners', async () => {
        const folder = await mkdtemp(path.join(os.tmpdir(), 'factflow-putfile-'))
        try {
          const bytes = randomBytes(300 * 1024)
          const file = path.join(folder, 'blob.zip')
          await writeFile(file, bytes)
          const events: StorageCreatedEvent[] = []
          const unsubscribe = store.onCreated((event) => events.push(event))
          const stored = await store.putFile('archives/blob.zip', file, {content_type: 'application/zip', archive_job_id: 'j1'})
          unsubscribe()
          const {body, metadata} = await store.get('archives/blob.zip')
          expect(body.equals(bytes)).toBe(true)
          expect(metadata).toMatchObject({content_type: 'application/zip', content_length: bytes.byteLength, sha256: sha256(bytes), archive_job_id: 'j1'})
          expect(stored).toMatchObject({key: 'archives/blob.zip', size: bytes.byteLength, content_type: 'application/zip'})
          expect(events.map((event) => event.key)).toEqual(['archives/blob.zip'])
          expect((await store.head('archives/blob.zip'))?.size).toBe(bytes.byteLength)
          await expect(store.putFile('../escape.zip', file)).rejects.toMatchObject({code: 'STORAGE_INVALID_KEY'})
          await writeFile(file, 'replaced')
          expect((await store.get('archives/blob.zip')).body.equals(bytes)).toBe(true)
        } finally {
          await rm(folder, {recursive: true, force: true})
        }
      })

      it('stores an empty object', async () => {
        await store.put('empty.txt', '')
        const {body, metadata} = await store.get('empty.txt')
        expect(body.byteLength).toBe(0)
        expect(metadata.content_length).toBe(0)
      })

      it('keeps the provenance metadata it was given, including non-ASCII text and numbers', async () => {
        const given = {
          content_type: 'text/html; charset=utf-8',
          execution_id: 'exec-1', route_id: 'crawl', stage: 'fetch', correlation_id: 'corr-1', message_id: 'msg-1',
          source_url: 'https://example.org/a b/ü?q=1&r=%41#frag',
          title: '  Über — 日本語 100% "quoted"  ',
          document_id: 'doc-1',
          page_count: 3,
        }
        await store.put('executions/exec-1/crawl/fetch/msg-1.html', '<p>x</p>', given)
        const {metadata} = await store.get('executions/exec-1/crawl/fetch/msg-1.html')
        expect(metadata).toMatchObject(given)
        const head = await store.head('executions/exec-1/crawl/fetch/msg-1.html')
        expect(head?.metadata).toEqual(metadata)
      })

      it('computes length and sha256 itself, ignoring values the caller passed', async () => {
        await store.put('x.txt', 'abc', {sha256: 'bogus', content_length: 99})
        const {metadata} = await store.get('x.txt')
        expect(metadata.sha256).toBe(sha256('abc'))
        expect(metadata.content_length).toBe(3)
      })

      it('guesses the content type from the key extension when none is given', async () => {
        await store.put('page.html', '<p>x</p>')
        await store.put('blob', 'x')
        expect((await store.get('page.html')).metadata.content_type).toBe('text/html')
        expect((await store.get('blob')).metadata.content_type).toBe('application/octet-stream')
      })

      it('rejects metadata names that are not lower snake case', async () => {
        const error = await rejectionOf(store.put('m.txt', 'x', {'Bad-Name': 'v'}))
        expect(error).toBeInstanceOf(UserInputError)
        expect(error.code).toBe('STORAGE_INVALID_METADATA')
        expect(await store.exists('m.txt')).toBe(false)
      })

      it('overwrites an object together with its metadata', async () => {
        await store.put('o.txt', 'first version', {title: 'First'})
        await store.put('o.txt', 'second', {source_url: 'https://example.org/2'})
        const {body, metadata} = await store.get('o.txt')
        expect(body.toString()).toBe('second')
        expect(metadata.title).toBeUndefined()
        expect(metadata.source_url).toBe('https://example.org/2')
        expect(metadata.sha256).toBe(sha256('second'))
        expect((await store.head('o.txt'))?.size).toBe(6)
      })

      it('throws NotFoundError with code STORAGE_NOT_FOUND and a hint for an absent key', async () => {
        const error = await rejectionOf(store.get('nope/missing.txt'))
        expect(error).toBeInstanceOf(NotFoundError)
        expect(error.code).toBe('STORAGE_NOT_FOUND')
        expect(error.hint).toBeTruthy()
        expect(error.message).toContain('nope/missing.txt')
      })
    })

    describe('getStream', () => {
      const read = async (stream: NodeJS.ReadableStream) => {
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks)
      }

      it('streams the whole object or a byte range, described by its full size and metadata', async () => {
        const body = randomBytes(100_000)
        await store.put('s/blob.bin', body, {content_type: 'application/octet-stream', title: 'Blob'})
        const whole = await store.getStream('s/blob.bin')
        expect(whole.object).toMatchObject({key: 's/blob.bin', size: 100_000, content_type: 'application/octet-stream', metadata: {title: 'Blob', sha256: sha256(body)}})
        expect((await read(whole.stream)).equals(body)).toBe(true)
        const part = await store.getStream('s/blob.bin', {start: 10, end: 1009})
        expect(part.object.size).toBe(100_000)
        expect((await read(part.stream)).equals(body.subarray(10, 1010))).toBe(true)
      })

      it('throws STORAGE_NOT_FOUND for an absent key and STORAGE_INVALID_KEY for a traversal', async () => {
        expect((await rejectionOf(store.getStream('nope.bin'))).code).toBe('STORAGE_NOT_FOUND')
        expect((await rejectionOf(store.getStream('../etc/passwd'))).code).toBe('STORAGE_INVALID_KEY')
      })
    })

    describe('head and exists', () => {
      it('answers null and false for an absent key', async () => {
        expect(await store.head('absent.txt')).toBeNull()
        expect(await store.exists('absent.txt')).toBe(false)
      })

      it('answers null for a key that is only a prefix of other keys', async () => {
        await store.put('dir/inner.txt', 'x')
        expect(await store.head('dir')).toBeNull()
        expect(await store.exists('dir')).toBe(false)
      })

      it('describes a stored object without reading its body', async () => {
        const before = Date.now()
        await store.put('h/one.json', '{"a":1}', {content_type: 'application/json', title: 'One'})
        const head = await store.head('h/one.json')
        expect(head).toMatchObject({key: 'h/one.json', size: 7, content_type: 'application/json'})
        expect(head!.last_modified).toBeInstanceOf(Date)
        expect(head!.last_modified.getTime()).toBeGreaterThan(before - 5_000)
        expect(head!.metadata).toMatchObject({title: 'One', sha256: sha256('{"a":1}'), content_length: 7})
        expect(await store.exists('h/one.json')).toBe(true)
      })
    })

    describe('list', () => {
      const keys = ['a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt', 'a-z.txt', 'ab.txt', 'b/4.txt']

      it('lists every key under a prefix in UTF-8 byte order without a delimiter', async () => {
        await putAll(keys)
        const all = await store.list('')
        expect(all.objects.map((o) => o.key)).toEqual(['a-z.txt', 'a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt', 'ab.txt', 'b/4.txt'])
        expect(all.common_prefixes).toEqual([])
        expect(all.next_cursor).toBeUndefined()
        expect((await store.list('a/')).objects.map((o) => o.key)).toEqual(['a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt'])
        expect((await store.list('a')).objects.map((o) => o.key)).toEqual(['a-z.txt', 'a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt', 'ab.txt'])
      })

      it('folds keys past the delimiter into common prefixes at each level', async () => {
        await putAll(keys)
        const top = await store.list('', {delimiter: '/'})
        expect(top.objects.map((o) => o.key)).toEqual(['a-z.txt', 'ab.txt'])
        expect(top.common_prefixes).toEqual(['a/', 'b/'])
        const a = await store.list('a/', {delimiter: '/'})
        expect(a.objects.map((o) => o.key)).toEqual(['a/1.txt'])
        expect(a.common_prefixes).toEqual(['a/b/'])
        const ab = await store.list('a/b/', {delimiter: '/'})
        expect(ab.objects.map((o) => o.key)).toEqual(['a/b/2.txt'])
        expect(ab.common_prefixes).toEqual(['a/b/c/'])
      })

      it('matches a prefix that ends inside a segment, as S3 does', async () => {
        await putAll(keys)
        const partial = await store.list('a/b', {delimiter: '/'})
        expect(partial.objects).toEqual([])
        expect(partial.common_prefixes).toEqual(['a/b/'])
      })

      it('lists nothing under a prefix no key has', async () => {
        await putAll(keys)
        expect(await store.list('zzz/', {delimiter: '/'})).toEqual({objects: [], common_prefixes: []})
        expect(await store.list('zzz')).toEqual({objects: [], common_prefixes: []})
      })

      it('describes listed objects by size and time, and adds stored metadata only when asked', async () => {
        await store.put('m/a.txt', 'hello', {content_type: 'text/x-custom', title: 'A'})
        const plain = await store.list('m/')
        expect(plain.objects[0]).toMatchObject({key: 'm/a.txt', size: 5})
        expect(plain.objects[0].last_modified).toBeInstanceOf(Date)
        expect(plain.objects[0].metadata).toBeUndefined()
        const rich = await store.list('m/', {includeMetadata: true})
        expect(rich.objects[0]).toMatchObject({key: 'm/a.txt', size: 5, content_type: 'text/x-custom'})
        expect(rich.objects[0].metadata).toMatchObject({title: 'A', sha256: sha256('hello')})
      })

      it('stops at the limit and continues from next_cursor until every key is listed once', async () => {
        const many = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5']
        await putAll(many)
        const first = await store.list('p/', {limit: 2})
        expect(first.objects.map((o) => o.key)).toEqual(['p/1', 'p/2'])
        expect(first.next_cursor).toEqual(expect.any(String))
        const pages = await listAll(store, 'p/', {limit: 2})
        expect(pages.map((page) => page.objects)).toEqual([['p/1', 'p/2'], ['p/3', 'p/4'], ['p/5']])
      })

      it('issues no cursor when the last page ends exactly at the limit', async () => {
        await putAll(['q/1', 'q/2'])
        const page = await store.list('q/', {limit: 2})
        expect(page.objects).toHaveLength(2)
        expect(page.next_cursor).toBeUndefined()
      })

      it('counts common prefixes toward the limit and never repeats one across pages', async () => {
        await putAll(['p/a/1', 'p/a/2', 'p/b/1', 'p/c.txt', 'p/d/1', 'p/d/2/3'])
        const pages = await listAll(store, 'p/', {delimiter: '/', limit: 1})
        expect(pages).toEqual([
          {objects: [], common_prefixes: ['p/a/']},
          {objects: [], common_prefixes: ['p/b/']},
          {objects: ['p/c.txt'], common_prefixes: []},
          {objects: [], common_prefixes: ['p/d/']},
        ])
      })

      it('rejects a limit that is not a positive integer', async () => {
        const error = await rejectionOf(store.list('', {limit: 0}))
        expect(error).toBeInstanceOf(UserInputError)
        expect(error.code).toBe('STORAGE_INVALID_LIST_OPTIONS')
      })

      it('rejects a cursor it did not issue', async () => {
        const error = await rejectionOf(store.list('', {cursor: 'not-a-cursor'}))
        expect(error.code).toBe('STORAGE_INVALID_CURSOR')
      })
    })

    describe('delete', () => {
      it('removes the object and its metadata', async () => {
        await store.put('d/x.txt', 'x', {title: 'X'})
        await store.put('d/y.txt', 'y')
        await store.delete('d/x.txt')
        expect(await store.exists('d/x.txt')).toBe(false)
        expect(await store.head('d/x.txt')).toBeNull()
        expect((await rejectionOf(store.get('d/x.txt'))).code).toBe('STORAGE_NOT_FOUND')
        expect((await store.list('')).objects.map((o) => o.key)).toEqual(['d/y.txt'])
      })

      it('treats deleting an absent key as success, also twice in a row', async () => {
        await store.delete('never/was.txt')
        await store.put('once.txt', '1')
        await store.delete('once.txt')
        await store.delete('once.txt')
        expect(await store.exists('once.txt')).toBe(false)
      })

      it('leaves no common prefix behind for a folder it emptied', async () => {
        await store.put('gone/deep/x.txt', 'x')
        await store.delete('gone/deep/x.txt')
        expect(await store.list('', {delimiter: '/'})).toEqual({objects: [], common_prefixes: []})
      })
    })

    describe('keys', () => {
      it.each(INVALID_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))(
        'rejects the key %s with STORAGE_INVALID_KEY on every operation and writes nothing',
        async (_label, key) => {
          for (const operation of [
            () => store.put(key, 'payload'), () => store.get(key), () => store.head(key),
            () => store.exists(key), () => store.delete(key),
          ]) {
            const error = await rejectionOf(operation())
            expect(error).toBeInstanceOf(UserInputError)
            expect(error.code).toBe('STORAGE_INVALID_KEY')
            expect(error.hint).toBeTruthy()
          }
          expect((await store.list('')).objects).toEqual([])
          expect(await harness.writtenOutside?.() ?? []).toEqual([])
        },
      )

      it('rejects list prefixes that would leave the root', async () => {
        for (const prefix of ['../', '/abs', 'a/../../']) {
          expect((await rejectionOf(store.list(prefix))).code).toBe('STORAGE_INVALID_KEY')
        }
      })

      it('accepts a long key made of ordinary segments', async () => {
        // 900 bytes leaves room for an S3 store's own prefix within S3's 1024-byte key limit.
        const key = [...Array.from({length: 8}, () => 'k'.repeat(100)), 'v'.repeat(900 - 8 * 101)].join('/')
        expect(Buffer.byteLength(key)).toBe(900)
        await store.put(key, 'long')
        expect((await store.get(key)).body.toString()).toBe('long')
      })

      it('treats keys as case-sensitive and keeps spaces and unicode', async () => {
        await store.put('Case/Ä b.txt', 'upper')
        await store.put('case/ä b.txt', 'lower')
        expect((await store.get('Case/Ä b.txt')).body.toString()).toBe('upper')
        expect((await store.get('case/ä b.txt')).body.toString()).toBe('lower')
      })
    })

    describe('created events', () => {
      it('emits storage.object.created once per put with key, size, content type and metadata', async () => {
        const events: StorageCreatedEvent[] = []
        store.onCreated((event) => events.push(event))
        await store.put('e/1.md', '# one', {execution_id: 'exec-9', route_id: 'r', stage: 's', message_id: 'm1'})
        await store.put('e/1.md', '# one again')
        await rejectionOf(store.put('../bad', 'x'))
        expect(events).toHaveLength(2)
        expect(events[0]).toEqual({
          type: 'storage.object.created', key: 'e/1.md', size: 5, content_type: 'text/markdown',
          metadata: expect.objectContaining({execution_id: 'exec-9', route_id: 'r', stage: 's', message_id: 'm1', sha256: sha256('# one')}),
        })
        expect(events[1]).toMatchObject({key: 'e/1.md', size: 11})
      })

      it('stops calling a listener after it unsubscribes', async () => {
        const events: StorageCreatedEvent[] = []
        const unsubscribe = store.onCreated((event) => events.push(event))
        await store.put('u/1.txt', '1')
        unsubscribe()
        await store.put('u/2.txt', '2')
        expect(events.map((event) => event.key)).toEqual(['u/1.txt'])
      })

      it('completes the put and still notifies other listeners when one listener throws', async () => {
        const keys: string[] = []
        store.onCreated(() => { throw new Error('listener bug') })
        store.onCreated((event) => keys.push(event.key))
        await expect(store.put('t/1.txt', 'x')).resolves.toMatchObject({key: 't/1.txt'})
        expect(keys).toEqual(['t/1.txt'])
      })
    })

    describe('concurrency', () => {
      it('stores concurrent puts of distinct keys', async () => {
        const keys = Array.from({length: 40}, (_, i) => `c/${String(i).padStart(2, '0')}/item.txt`)
        const stored: StoredObject[] = await Promise.all(keys.map((key, i) => store.put(key, `value ${i}`)))
        expect(stored.map((object) => object.key)).toEqual(keys)
        const bodies = await Promise.all(keys.map(async (key) => (await store.get(key)).body.toString()))
        expect(bodies).toEqual(keys.map((_, i) => `value ${i}`))
        expect((await store.list('c/')).objects).toHaveLength(40)
      })

      it('keeps object and metadata in agreement under concurrent puts to one key', async () => {
        await Promise.all(Array.from({length: 12}, (_, i) => store.put('same.txt', `version ${i}`.repeat(i + 1), {title: `v${i}`})))
        const {body, metadata} = await store.get('same.txt')
        expect(metadata.sha256).toBe(sha256(body))
        const version = /^version (\d+)/.exec(body.toString())![1]
        expect(metadata.title).toBe(`v${version}`)
      })
    })
  })
}
