import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {INTERRUPTED_ARCHIVE_ERROR} from '../../src/archives/archive-job-repository.js'
import {FileObjectStore} from '../../src/storage/file-object-store.js'
import {type Served, startServe} from '../helpers/serve-process.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
type Json = any

describe('archive jobs through `factflow serve` across restarts', () => {
  let work: string
  let served: Served | undefined
  const env = {FACTFLOW_DB_WORKER_NICE: '0'}

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-archive-serve-'))
    const storage = new FileObjectStore({root: path.join(work, 'output', 'storage'), sync: 'off'})
    await storage.put('small/a.txt', 'alpha')
    await storage.put('small/b/c.txt', 'gamma')
    // Big and incompressible, so its zip takes long enough to be caught running.
    for (let i = 0; i < 4; i++) await storage.put(`big/part-${i}.bin`, randomBytes(8 * 1024 * 1024))
  }, 60_000)
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await served?.exited.catch(() => undefined)
    await rm(work, {recursive: true, force: true})
  })

  const api = async (method: string, url: string, body?: unknown): Promise<{status: number; body: Json}> => {
    const response = await fetch(`${served!.url}/api/v1${url}`, {
      method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return {status: response.status, body: text === '' ? null : JSON.parse(text)}
  }

  it('keeps a finished job and its zip, and fails the one a killed server was building', async () => {
    served = await startServe(work, env)
    const small = await api('POST', '/content/archive', {prefix: 'small/'})
    expect(small.status).toBe(202)
    let job: Json = small.body
    for (let i = 0; i < 400 && job.status !== 'completed' && job.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      job = (await api('GET', `/content/archive/${small.body.id}`)).body
    }
    expect(job).toMatchObject({status: 'completed', object_count: 2})

    const big = (await api('POST', '/content/archive', {prefix: 'big/'})).body
    let status = big.status
    for (let i = 0; i < 2000 && status === 'pending'; i++) status = (await api('GET', `/content/archive/${big.id}`)).body.status
    expect(status).toBe('running')
    served.child.kill('SIGKILL')
    await served.exited

    served = await startServe(work, env)
    expect(served.stderr()).toContain('failed 1 archive job(s) left unfinished by a stopped process')
    expect((await api('GET', `/content/archive/${big.id}`)).body).toMatchObject({status: 'failed', error: INTERRUPTED_ARCHIVE_ERROR, download_url: null})
    expect((await api('GET', `/content/archive/${big.id}/download`)).status).toBe(409)

    expect((await api('GET', `/content/archive/${job.id}`)).body).toEqual(job)
    const download = await fetch(`${served.url}${job.download_url}`)
    expect(download.status).toBe(200)
    const zipFile = path.join(work, 'small.zip')
    await writeFile(zipFile, Buffer.from(await download.arrayBuffer()))
    expect(execFileSync('unzip', ['-Z1', zipFile], {encoding: 'utf8'}).trim().split('\n').sort()).toEqual(['small/a.txt', 'small/b/c.txt'])
    expect(execFileSync('unzip', ['-p', zipFile, 'small/b/c.txt'], {encoding: 'utf8'})).toBe('gamma')

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    served = undefined
  }, 400_000)
})
