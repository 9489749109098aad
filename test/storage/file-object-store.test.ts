import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {FileObjectStore, type FileObjectStoreOptions} from '../../src/storage/file-object-store.js'
import {objectStoreContract} from '../contracts/object-store.contract.js'

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  return entries.filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort()
}

// Both ways a file store does its I/O: every call through libuv's pool (the server), and small
// objects in synchronous calls with syncing left to close() (`factflow run` on the embedded database).
const MODES: Array<[string, Omit<FileObjectStoreOptions, 'root'>]> = [
  ['pool', {}],
  ['inline', {sync: 'on-close', smallIo: 'inline'}],
]

for (const [mode, options] of MODES) {
  objectStoreContract(`FileObjectStore (${mode})`, async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'factflow-file-store-'))
    const root = path.join(base, 'store')
    return {
      store: new FileObjectStore({root, sync: 'off', ...options}),
      cleanup: () => rm(base, {recursive: true, force: true}),
      writtenOutside: async () => (await filesUnder(base)).filter((file) => !file.startsWith(`store${path.sep}`)),
    }
  })
}

describe.each(MODES)('FileObjectStore (%s)', (_mode, options) => {
  let base: string
  let root: string
  let store: FileObjectStore
  const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'factflow-file-store-'))
    root = path.join(base, 'store')
    store = new FileObjectStore({root, ...options})
  })
  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('reports its root as a file:// URI', () => {
    expect(store.uri).toBe(`file://${root}`)
    expect(new FileObjectStore({root: 'relative/dir'}).root).toBe(path.resolve('relative/dir'))
  })

  it('writes the object at <root>/<key> and its metadata in <key>.meta.json', async () => {
    await store.put('executions/e1/r/s/m1.md', '# hi', {title: 'Hi', execution_id: 'e1'})
    expect(await readFile(path.join(root, 'executions/e1/r/s/m1.md'), 'utf8')).toBe('# hi')
    const sidecar = JSON.parse(await readFile(path.join(root, 'executions/e1/r/s/m1.md.meta.json'), 'utf8'))
    expect(sidecar).toMatchObject({title: 'Hi', execution_id: 'e1', content_type: 'text/markdown', content_length: 4, sha256: sha256('# hi')})
  })

  it('leaves no staging files behind after successful and failed puts', async () => {
    await Promise.all(Array.from({length: 20}, (_, i) => store.put(`s/${i}.txt`, `x${i}`)))
    await store.put('s/0.txt/child', 'conflict').catch(() => {})
    expect(await readdir(path.join(root, '.factflow-staging'))).toEqual([])
    const files = await filesUnder(root)
    expect(files.every((file) => /^s\/\d+\.txt(\.meta\.json)?$/.test(file))).toBe(true)
    expect(files).toHaveLength(40)
  })

  it('leaves neither object nor temp file when a write fails at its final rename', async () => {
    await store.put('a/b.txt', 'child')
    // `a` is a folder on disk, so an object named `a` cannot be renamed into place.
    const error = await store.put('a', 'parent').catch((caught: unknown) => caught as {code?: string})
    expect(error).toMatchObject({code: 'STORAGE_KEY_CONFLICT', hint: expect.any(String)})
    expect(await store.exists('a')).toBe(false)
    expect(await readdir(path.join(root, '.factflow-staging'))).toEqual([])
    expect((await store.get('a/b.txt')).body.toString()).toBe('child')
  })

  it('reports a staging folder made unusable as a storage failure, not as a key conflict', async () => {
    await store.put('first.txt', '1')
    await rm(path.join(root, '.factflow-staging'), {recursive: true})
    await writeFile(path.join(root, '.factflow-staging'), 'not a folder')
    const error = await store.put('second.txt', '2').then(() => undefined, (caught: unknown) => caught as {code?: string})
    expect(error).toMatchObject({code: expect.stringMatching(/^STORAGE_/)})
    expect(error?.code).not.toBe('STORAGE_KEY_CONFLICT')
    expect(await store.exists('second.txt')).toBe(false)
  })

  it('lets readers see the old or the new object during an overwrite, never a partial one', async () => {
    const first = Buffer.alloc(4 * 1024 * 1024, 'a')
    const second = Buffer.alloc(6 * 1024 * 1024, 'b')
    await store.put('big.bin', first)
    const allowed = new Set([sha256(first), sha256(second)])
    let writing = true
    const write = store.put('big.bin', second).finally(() => { writing = false })
    const seen: string[] = []
    while (writing || seen.length < 3) {
      const {body, metadata} = await store.get('big.bin')
      seen.push(sha256(body))
      expect(metadata.sha256).toBe(sha256(body))
    }
    await write
    expect(seen.every((digest) => allowed.has(digest))).toBe(true)
    expect(sha256((await store.get('big.bin')).body)).toBe(sha256(second))
  })

  it('rebuilds metadata from the object when its sidecar is missing or stale', async () => {
    await store.put('r/x.html', '<p>1</p>', {title: 'Old'})
    await unlink(path.join(root, 'r/x.html.meta.json'))
    expect((await store.get('r/x.html')).metadata).toMatchObject({content_type: 'text/html', content_length: 8, sha256: sha256('<p>1</p>')})
    await store.put('r/y.txt', 'short', {title: 'Y'})
    // A crash between the object's rename and its sidecar's leaves the previous sidecar.
    await writeFile(path.join(root, 'r/y.txt'), 'a longer body')
    const head = await store.head('r/y.txt')
    expect(head?.metadata).toMatchObject({content_length: 13, sha256: sha256('a longer body')})
    expect(head?.metadata?.title).toBeUndefined()
  })

  it('removes folders that delete left empty, up to the root', async () => {
    await store.put('x/y/z/file.txt', '1')
    await store.put('x/keep.txt', '2')
    await store.delete('x/y/z/file.txt')
    expect(await readdir(path.join(root, 'x'))).toEqual(['keep.txt', 'keep.txt.meta.json'])
  })

  it('refuses keys that reach outside the root through a symlinked folder', async () => {
    const outside = path.join(base, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'secret.txt'), 'secret')
    await store.put('inside.txt', 'in')
    await symlink(outside, path.join(root, 'link'))
    for (const attempt of [
      () => store.put('link/new.txt', 'x'), () => store.put('link/deeper/new.txt', 'x'),
      () => store.get('link/secret.txt'), () => store.head('link/secret.txt'), () => store.delete('link/secret.txt'),
      () => store.list('link/'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({code: 'STORAGE_INVALID_KEY'})
    }
    expect(await readdir(outside)).toEqual(['secret.txt'])
    const listed = await store.list('')
    expect(listed.objects.map((object) => object.key)).toEqual(['inside.txt'])
  })

  it('refuses a symlinked file that points outside the root and hides it from listings', async () => {
    const outside = path.join(base, 'secret.txt')
    await writeFile(outside, 'secret')
    await store.put('ok.txt', 'ok')
    await symlink(outside, path.join(root, 'evil.txt'))
    await expect(store.get('evil.txt')).rejects.toMatchObject({code: 'STORAGE_INVALID_KEY'})
    expect((await store.list('')).objects.map((object) => object.key)).toEqual(['ok.txt'])
  })

  it('reads a symlinked file that stays inside the root', async () => {
    await store.put('real.txt', 'real')
    await symlink(path.join(root, 'real.txt'), path.join(root, 'alias.txt'))
    expect((await store.get('alias.txt')).body.toString()).toBe('real')
  })

  it('reports a key too long for the filesystem as STORAGE_INVALID_KEY', async () => {
    await expect(store.put('x'.repeat(300), 'x')).rejects.toMatchObject({code: 'STORAGE_INVALID_KEY'})
  })

  it('creates its root on the first put and lists an absent root as empty', async () => {
    expect(await store.list('')).toEqual({objects: [], common_prefixes: []})
    expect(await store.exists('a.txt')).toBe(false)
    await store.put('a.txt', 'a')
    expect(await store.exists('a.txt')).toBe(true)
  })
})
