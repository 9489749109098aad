import {createHash} from 'node:crypto'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {FileObjectStore} from '../../src/storage/file-object-store.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {fileReadPipelineYaml} from '../helpers/file-read-pipeline.js'

/** Resident set size of a process, in bytes (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
}

const SIZE = 100 * 1024 * 1024

describe('the data plane through the real server process (built binary)', () => {
  let work: string
  let served: Served | undefined
  let expectedSha = ''
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
  const api = async (method: string, route: string, body?: unknown): Promise<{status: number; body: any}> => {
    const response = await fetch(`${served!.url}/api/v1${route}`, {method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)})
    const text = await response.text()
    return {status: response.status, body: text ? JSON.parse(text) : null}
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-dataplane-'))
    // A 100 MB object in the server's storage (`serve --embedded` uses ./output/storage), written before it starts.
    const store = new FileObjectStore({root: path.join(work, 'output', 'storage'), fsync: false})
    const big = Buffer.alloc(SIZE)
    for (let i = 0; i < SIZE; i += 4096) big.writeUInt32LE(i, i)
    expectedSha = createHash('sha256').update(big).digest('hex')
    await store.put('big/object.bin', big, {content_type: 'application/octet-stream'})
    served = await startServe(work, {FACTFLOW_DB_WORKER_NICE: '0'})
  }, 180_000)
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  it('streams a 100 MB object download in flat memory', async () => {
    const pid = served!.child.pid!
    const before = await rssOf(pid)
    let peak = before
    const sampler = setInterval(() => { void rssOf(pid).then((rss) => { peak = Math.max(peak, rss) }, () => undefined) }, 20)
    const response = await fetch(`${served!.url}/api/v1/storage/objects/big/object.bin`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe(String(SIZE))
    expect(response.headers.get('etag')).toBe(`"${expectedSha}"`)
    const hash = createHash('sha256')
    let received = 0
    // Read slowly at first, so a server that buffered ahead would show it in its RSS.
    const reader = response.body!.getReader()
    for (;;) {
      const {done, value} = await reader.read()
      if (done) break
      hash.update(value)
      received += value.byteLength
      if (received < 20 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    clearInterval(sampler)
    peak = Math.max(peak, await rssOf(pid))
    expect(received).toBe(SIZE)
    expect(hash.digest('hex')).toBe(expectedSha)
    // Flat: the server's resident memory grew by well under the object's size.
    if (process.env.FACTFLOW_TEST_VERBOSE) console.log(`server RSS ${Math.round(before / 2 ** 20)} MB → peak ${Math.round(peak / 2 ** 20)} MB`)
    expect(peak - before, `RSS ${Math.round(before / 2 ** 20)} MB → peak ${Math.round(peak / 2 ** 20)} MB`).toBeLessThan(40 * 1024 * 1024)
  }, 120_000)

  it('redrives a dead-lettered message after its fault is fixed, and the execution completes it', async () => {
    const file = path.join(work, 'arrives-late.txt')
    const config = await api('POST', '/configs', {name: 'redrive-e2e', config_yaml: fileReadPipelineYaml('redrive-e2e', file)})
    expect(config.status).toBe(201)
    const started = await api('POST', `/configs/${config.body.id}/run?tag=redrive-e2e`)
    expect(started.status).toBe(201)
    const waitEnded = async () => {
      for (let i = 0; i < 400; i++) {
        const execution = (await api('GET', '/executions/redrive-e2e')).body
        if (execution.status !== 'running' && execution.completed_at) return execution
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error('the execution did not end')
    }
    expect((await waitEnded()).summary.messages.dead_lettered).toBe(1)
    const letters = (await api('GET', '/executions/redrive-e2e/dlq')).body.dead_letters
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({route_id: 'read', stage: 'file_reader', attempts: 1, error_info: {code: 'FILE_NOT_FOUND'}})

    await writeFile(file, 'the fault is fixed')
    const redrive = await api('POST', `/dlq/${letters[0].id}/redrive`)
    expect(redrive.body).toMatchObject({redriven: 1, mode: 'restarted'})
    const ended = await waitEnded()
    expect(ended.status).toBe('completed')
    expect(ended.summary.messages).toMatchObject({completed: 2, dead_lettered: 0})
    expect((await api('GET', '/dlq?execution_id=redrive-e2e&include_redriven=false')).body.total).toBe(0)
    const stored = await api('GET', '/storage/objects?execution_id=redrive-e2e&route_id=read')
    expect(stored.body.total).toBe(1)
    const content = await fetch(`${served!.url}/api/v1/storage/objects/${stored.body.objects[0].key}`)
    expect(await content.text()).toBe('the fault is fixed')
  }, 120_000)
})
