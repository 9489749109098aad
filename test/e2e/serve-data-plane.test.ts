import {createHash} from 'node:crypto'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {FileObjectStore} from '../../src/storage/file-object-store.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {runCli} from '../helpers/cli.js'
import {fileReadPipelineYaml} from '../helpers/file-read-pipeline.js'
import {replayPipelineYaml, writeReplayPages} from '../helpers/replay-pipeline.js'

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
    const store = new FileObjectStore({root: path.join(work, 'output', 'storage'), sync: 'off'})
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

  it('replays a finished execution from its markdown stage (`factflow execution replay`): the same segments, a lineage chain back to the parent', async () => {
    const pages = path.join(work, 'replay-pages')
    await writeReplayPages(pages, 3)
    const config = await api('POST', '/configs', {name: 'replay-e2e', config_yaml: replayPipelineYaml('replay-e2e', pages)})
    expect(config.status).toBe(201)
    const cli = (...args: string[]) => runCli(args, {cwd: work, env: {FACTFLOW_SERVER_URL: served!.url}, timeoutMs: 120_000})
    const parentRun = await cli('config', 'run', config.body.id, '--tag', 'replay-e2e', '--wait', '--json')
    expect(parentRun.code, parentRun.stderr).toBe(0)
    const parent = JSON.parse(parentRun.stdout)
    expect(parent.status).toBe('completed')

    const replayRun = await cli('execution', 'replay', 'replay-e2e', '--from-stage', 'markdown', '--tag', 'replay-e2e-child', '--wait', '--json')
    expect(replayRun.code, replayRun.stderr).toBe(0)
    const child = JSON.parse(replayRun.stdout)
    expect(child).toMatchObject({status: 'completed', tag: 'replay-e2e-child', parent_execution_id: parent.id,
      replay_source: {from_stage: 'markdown', to_route: 'segment', found: 3, published: 3, failed: 0}})
    const batchId: string = child.replay_source.replay_batch_id

    const segments = async (id: string) => {
      const listing = (await api('GET', `/storage/objects?prefix=${encodeURIComponent(`executions/${id}/segment/segments/`)}&limit=1000`)).body
      const texts = await Promise.all(listing.objects.map(async (o: {key: string}) => (await fetch(`${served!.url}/api/v1/storage/objects/${o.key}`)).text()))
      return texts.sort()
    }
    const parentSegments = await segments(parent.id)
    expect(parentSegments.length).toBeGreaterThan(3)
    expect(await segments(child.id)).toEqual(parentSegments)

    const rows = (await api('GET', `/executions/${child.id}/lineage?limit=1000`)).body
    expect(rows.total).toBeGreaterThan(3)
    expect(rows.lineage.every((row: {replay_batch_id: string | null}) => row.replay_batch_id === batchId)).toBe(true)
    expect((await api('GET', `/lineage/batch/${batchId}?limit=1`)).body.total).toBe(rows.total)
    const leaf = rows.lineage.find((row: {stage_name: string}) => row.stage_name === 'segments')
    const chain = (await api('GET', `/lineage/${leaf.id}/chain`)).body
    const inParent = chain.ancestors.filter((row: {execution_id: string}) => row.execution_id === parent.id)
    expect(inParent.map((row: {route_id: string; stage_name: string}) => `${row.route_id}/${row.stage_name}`)).toContain('convert/markdown')
    // Up to the parent's init message.
    expect(chain.ancestors[0]).toMatchObject({execution_id: parent.id, route_id: 'read', parent_id: null})

    const replays = (await api('GET', '/executions/replay-e2e/replays')).body
    expect(replays.replays.map((r: {id: string}) => r.id)).toEqual([child.id])
    const text = await cli('execution', 'get', child.id)
    expect(text.stdout).toContain(`replay of:  ${parent.id} stage markdown → route segment`)
  }, 180_000)
})
