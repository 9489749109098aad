import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {directoryListerConfig, fileReaderConfig} from '../../../src/adapters/files/catalog.js'
import {createAdapter as createLister} from '../../../src/adapters/files/directory-lister.js'
import {createAdapter as createReader} from '../../../src/adapters/files/file-reader.js'
import type {AdapterOutput} from '../../../src/adapters/types.js'
import {loadAppSettings} from '../../../src/config/app-settings.js'
import {createWebHarness, failure, single, type WebHarness} from '../web/helpers.js'

/**
 * File adapters read under `files.root` only (issue 22): a payload cannot name /proc/self/environ,
 * climb out with `..`, follow a symbolic link out, or point directory_lister elsewhere.
 */
describe('files.root', () => {
  let dir: string
  let root: string
  let harness: WebHarness
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'factflow-root-'))
    root = path.join(dir, 'root')
    await mkdir(path.join(root, 'docs'), {recursive: true})
    await mkdir(path.join(dir, 'outside'))
    await writeFile(path.join(root, 'docs', 'a.md'), '# A')
    await writeFile(path.join(dir, 'outside', 'secret.md'), 'secret')
    await writeFile(path.join(dir, 'root-sibling.md'), 'sibling')
    await symlink(path.join(dir, 'outside', 'secret.md'), path.join(root, 'docs', 'link.md'))
    await symlink(path.join(dir, 'outside'), path.join(root, 'out'))
    harness = await createWebHarness()
  })
  afterAll(async () => {
    await harness.close()
    await rm(dir, {recursive: true, force: true})
  })

  const resources = (fileRoot: string | null) => ({...harness.resources, files: {root: fileRoot}})
  const read = (file: string, fileRoot: string | null = root) =>
    createReader(fileReaderConfig.parse({}), resources(fileRoot)).process(harness.context({path: file}))
  const list = async (config: Record<string, unknown>, payload: Record<string, unknown> = {}, fileRoot: string | null = root) =>
    await createLister(directoryListerConfig.parse(config), resources(fileRoot)).process(harness.context(payload)) as AdapterOutput[]

  it('file_reader reads a file under the root, by absolute or root-relative path', async () => {
    expect(single(await read(path.join(root, 'docs', 'a.md'))).payload).toMatchObject({path: path.join(root, 'docs', 'a.md'), size: 3})
    expect(single(await read('docs/a.md')).payload).toMatchObject({path: path.join(root, 'docs', 'a.md')})
  })

  it.each([
    ['/proc/self/environ'], ['/etc/passwd'], ['../root-sibling.md'], ['docs/../../outside/secret.md'], ['docs/link.md'], ['out/secret.md'],
  ])('file_reader refuses %s with FILE_OUTSIDE_ROOT', async (file) => {
    expect(await failure(read(file))).toMatchObject({code: 'FILE_OUTSIDE_ROOT', retryable: false})
  })

  it('file_reader does not tell whether a file outside the root exists', async () => {
    expect(await failure(read('../no-such-file.md'))).toMatchObject({code: 'FILE_OUTSIDE_ROOT'})
    expect(await failure(read('docs/missing.md'))).toMatchObject({code: 'FILE_NOT_FOUND'})
  })

  it('file adapters read nothing without a root (a server without files.root)', async () => {
    expect(await failure(read(path.join(root, 'docs', 'a.md'), null))).toMatchObject({code: 'FILES_ROOT_UNSET'})
    expect(await failure(list({path: root}, {}, null))).toMatchObject({code: 'FILES_ROOT_UNSET'})
  })

  it('directory_lister lists under the root and leaves out files that link outside it', async () => {
    const outputs = await list({path: 'docs', include: '**/*.md'})
    expect(outputs.map((o) => o.payload.relative_path)).toEqual(['a.md'])
    const whole = await list({path: root, include: '**/*.md'})
    expect(whole.map((o) => o.payload.path)).toEqual([path.join(root, 'docs', 'a.md')])
  })

  it('directory_lister refuses a configured or payload path outside the root', async () => {
    expect(await failure(list({path: path.join(dir, 'outside')}))).toMatchObject({code: 'FILE_OUTSIDE_ROOT'})
    expect(await failure(list({path: 'docs'}, {path: '/etc'}))).toMatchObject({code: 'FILE_OUTSIDE_ROOT'})
    expect(await failure(list({path: 'docs'}, {path: '..'}))).toMatchObject({code: 'FILE_OUTSIDE_ROOT'})
    expect(await failure(list({path: 'docs'}, {path: 'out'}))).toMatchObject({code: 'FILE_OUTSIDE_ROOT'})
    expect((await list({path: 'docs', include: '**/*.md'}, {path: path.join(root, 'docs')})).map((o) => o.payload.relative_path)).toEqual(['a.md'])
  })

  it('defaults to the working directory for factflow run and to none for factflow serve', async () => {
    expect((await loadAppSettings({cwd: dir, env: {}, role: 'run'})).files.root).toBe(dir)
    expect((await loadAppSettings({cwd: dir, env: {}})).files.root).toBeNull()
    expect((await loadAppSettings({cwd: dir, env: {FACTFLOW_FILES_ROOT: 'root'}})).files.root).toBe(root)
  })
})
