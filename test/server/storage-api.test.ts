import {createHash} from 'node:crypto'
import {readdir} from 'node:fs/promises'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {execFileSync} from 'node:child_process'
import {writeFile} from 'node:fs/promises'

import {serve} from '@hono/node-server'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readSse} from '../helpers/sse-client.js'
import {startTestServer, type TestServer} from './server-harness.js'

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

describe('the storage API', () => {
  let server: TestServer
  let http: ReturnType<typeof serve>
  let base: string
  let executionId: string
  const body = 'x'.repeat(1000) + 'END'

  beforeAll(async () => {
    server = await startTestServer()
    http = await new Promise((resolve) => { const s = serve({fetch: server.app.fetch, hostname: '127.0.0.1', port: 0}, () => resolve(s)) })
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const {executions} = await server.runtime.store()
    executionId = (await executions.create({config_name: 'storage', config_snapshot: {}, tag: 'store-run'})).id
    const put = (key: string, text: string, content_type?: string) => server.runtime.storage.put(key, text, {
      ...(content_type ? {content_type} : {}), execution_id: executionId, route_id: key.split('/')[2], stage: key.split('/')[3],
    })
    await put(`executions/${executionId}/crawl/fetch/m1.html`, '<p>one</p>', 'text/html')
    await put(`executions/${executionId}/crawl/fetch/m2.html`, '<p>two</p>', 'text/html')
    await put(`executions/${executionId}/convert/markdown/m1.md`, body, 'text/markdown')
    await put(`executions/${executionId}/convert/segments/m1.json`, '[]', 'application/json')
    await server.runtime.storage.put('other/readme.txt', 'elsewhere')
  }, 120_000)
  afterAll(async () => {
    await new Promise<void>((resolve) => http?.close(() => resolve()))
    await server?.close()
  })

  it('browses with a prefix and a delimiter into common_prefixes, with paging', async () => {
    const top = await server.call('GET', '/api/v1/storage/objects?delimiter=/')
    expect(top.status).toBe(200)
    expect(top.body).toMatchObject({objects: [], common_prefixes: ['executions/', 'other/'], total: 2, has_more: false})
    const routes = await server.call('GET', `/api/v1/storage/objects?prefix=executions/${executionId}/&delimiter=/`)
    expect(routes.body.common_prefixes).toEqual([`executions/${executionId}/convert/`, `executions/${executionId}/crawl/`])
    const all = await server.call('GET', '/api/v1/storage/objects')
    expect(all.body.total).toBe(5)
    const page = await server.call('GET', '/api/v1/storage/objects?limit=2&offset=2')
    expect(page.body).toMatchObject({total: 5, limit: 2, offset: 2, has_more: true})
    expect(page.body.objects.map((o: {key: string}) => o.key)).toEqual(all.body.objects.slice(2, 4).map((o: {key: string}) => o.key))
    expect(all.body.objects[0]).toMatchObject({key: expect.any(String), size: expect.any(Number), content_type: expect.any(String), last_modified: expect.any(String)})
    expect(all.body.objects[0].metadata).toBeUndefined()
  })

  it('filters by execution (id or tag), route, stage and extension, and adds metadata when asked', async () => {
    const keys = async (query: string) => (await server.call('GET', `/api/v1/storage/objects?${query}`)).body.objects.map((o: {key: string}) => o.key.split('/').slice(2).join('/'))
    expect(await keys('execution_id=store-run')).toEqual(['convert/markdown/m1.md', 'convert/segments/m1.json', 'crawl/fetch/m1.html', 'crawl/fetch/m2.html'])
    expect(await keys(`execution_id=${executionId}&route_id=crawl`)).toEqual(['crawl/fetch/m1.html', 'crawl/fetch/m2.html'])
    expect(await keys('route_id=convert&stage=markdown')).toEqual(['convert/markdown/m1.md'])
    expect(await keys('extension=json')).toEqual(['convert/segments/m1.json'])
    expect(await keys('execution_id=store-run&prefix=other/')).toEqual([])
    const withMetadata = await server.call('GET', '/api/v1/storage/objects?extension=md&include_metadata=true')
    expect(withMetadata.body.objects[0].metadata).toMatchObject({execution_id: executionId, route_id: 'convert', stage: 'markdown', sha256: sha256(body)})
    expect((await server.call('GET', '/api/v1/storage/objects?execution_id=no-such-tag')).status).toBe(404)
  })

  it('streams an object with its content type and ETag, honours If-None-Match and byte ranges', async () => {
    const key = `executions/${executionId}/convert/markdown/m1.md`
    for (const url of [`${base}/api/v1/storage/objects/${key}`, `${base}/api/v1/storage/objects/${encodeURIComponent(key)}`]) {
      const response = await fetch(url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/markdown/)
      expect(response.headers.get('etag')).toBe(`"${sha256(body)}"`)
      expect(response.headers.get('accept-ranges')).toBe('bytes')
      expect(await response.text()).toBe(body)
    }
    const url = `${base}/api/v1/storage/objects/${key}`
    expect((await fetch(url, {headers: {'if-none-match': `"${sha256(body)}"`}})).status).toBe(304)
    const part = await fetch(url, {headers: {range: 'bytes=1000-'}})
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1002/${body.length}`)
    expect(await part.text()).toBe('END')
    const suffix = await fetch(url, {headers: {range: 'bytes=-2'}})
    expect(await suffix.text()).toBe('ND')
    const outside = await fetch(url, {headers: {range: 'bytes=5000-6000'}})
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe(`bytes */${body.length}`)
    expect(await outside.json()).toMatchObject({error_code: 'STORAGE_RANGE_NOT_SATISFIABLE'})
    const metadata = await server.call('GET', `/api/v1/storage/objects/${key}/metadata`)
    expect(metadata.body).toMatchObject({key, size: body.length, content_type: 'text/markdown', metadata: {sha256: sha256(body), route_id: 'convert'}})
    expect((await server.call('GET', `/api/v1/storage/objects/${encodeURIComponent(key)}/metadata`)).body.key).toBe(key)
  })

  it('answers 404 for a missing object, metadata or archive job', async () => {
    for (const url of ['/api/v1/storage/objects/no/such.md', '/api/v1/storage/objects/no%2Fsuch.md', '/api/v1/storage/objects/no/such.md/metadata', '/api/v1/content/archive/nope', '/api/v1/content/archive/nope/download']) {
      const reply = await server.call('GET', url)
      expect(reply.status, url).toBe(404)
      expect(reply.body.error_code, url).toMatch(/NOT_FOUND$/)
    }
  })

  it('refuses traversal, encoded traversal and absolute keys with 400 and writes nothing', async () => {
    const storageRoot = path.join(server.work, 'storage')
    const before = await readdir(storageRoot, {recursive: true})
    const archivesBefore = (await readdir(os.tmpdir())).filter((name) => name.startsWith('factflow-archive-')).length
    for (const url of [
      '/api/v1/storage/objects/..%2F..%2Fetc%2Fpasswd', '/api/v1/storage/objects/a%2F..%2F..%2Fsecret', '/api/v1/storage/objects/%2Fetc%2Fpasswd',
      '/api/v1/storage/objects/a/%252e%252e%252f%252e%252e%252fetc', '/api/v1/storage/objects/%252e%252e/x/metadata', '/api/v1/storage/objects/a%5C..%5Cb',
      '/api/v1/storage/objects?prefix=../', '/api/v1/storage/objects?prefix=/etc/', '/api/v1/storage/objects?prefix=a%2F%252e%252e%2F',
    ]) {
      const reply = await server.call('GET', url)
      expect(reply.status, url).toBe(400)
      expect(reply.body.error_code, url).toBe('STORAGE_INVALID_KEY')
    }
    for (const prefix of ['../', '/etc/', 'a/%2e%2e/', 'a\\b']) {
      const reply = await server.call('POST', '/api/v1/content/archive', {prefix})
      expect(reply.status, prefix).toBe(400)
    }
    expect(await readdir(storageRoot, {recursive: true})).toEqual(before)
    expect((await readdir(os.tmpdir())).filter((name) => name.startsWith('factflow-archive-')).length).toBe(archivesBefore)
  })

  it('zips an execution\'s artefacts or a prefix as a job, then serves the zip', async () => {
    const job = await server.call('POST', '/api/v1/content/archive', {execution_id: 'store-run'})
    expect(job.status).toBe(202)
    expect(job.body).toMatchObject({status: expect.stringMatching(/pending|running|completed/), execution_id: executionId, prefix: `executions/${executionId}/`})
    let status = job.body
    for (let i = 0; i < 200 && status.status !== 'completed' && status.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      status = (await server.call('GET', `/api/v1/content/archive/${job.body.id}`)).body
    }
    expect(status).toMatchObject({status: 'completed', object_count: 4, bytes: expect.any(Number), download_url: `/api/v1/content/archive/${job.body.id}/download`})
    const response = await fetch(`${base}${status.download_url}`)
    expect(response.headers.get('content-type')).toBe('application/zip')
    const zipFile = path.join(server.work, 'out.zip')
    await writeFile(zipFile, Buffer.from(await response.arrayBuffer()))
    const listing = execFileSync('unzip', ['-Z1', zipFile], {encoding: 'utf8'}).trim().split('\n')
    expect(listing.sort()).toEqual([
      `executions/${executionId}/convert/markdown/m1.md`, `executions/${executionId}/convert/segments/m1.json`,
      `executions/${executionId}/crawl/fetch/m1.html`, `executions/${executionId}/crawl/fetch/m2.html`,
    ])
    expect(execFileSync('unzip', ['-p', zipFile, `executions/${executionId}/convert/markdown/m1.md`], {encoding: 'utf8'})).toBe(body)

    const other = await server.call('POST', '/api/v1/content/archive', {prefix: 'other/'})
    expect(other.body.prefix).toBe('other/')
    const early = await server.call('GET', `/api/v1/content/archive/${other.body.id}/download`)
    expect([200, 409]).toContain(early.status)
    for (const bad of [{}, {execution_id: 'store-run', prefix: 'x/'}, {prefix: 'x/', extra: 1}]) {
      expect((await server.call('POST', '/api/v1/content/archive', bad)).status, JSON.stringify(bad)).toBe(422)
    }
    expect((await server.call('POST', '/api/v1/content/archive', {execution_id: 'no-such-tag'})).status).toBe(404)
  })

  it('streams storage.object.created events, resumes after Last-Event-ID, and ends an execution\'s stream with it', async () => {
    const url = `${base}/api/v1/storage/events?execution_id=store-run`
    const got = readSse(url, {stopAfter: (_e, count) => count === 3})
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const n of [1, 2, 3]) await server.runtime.storage.put(`executions/${executionId}/late/put/n${n}.txt`, `n${n}`, {execution_id: executionId, route_id: 'late', stage: 'put'})
    await server.runtime.storage.put('unrelated/x.txt', 'x')
    const events = await got
    expect(events.map((e) => e.event)).toEqual(['storage.object.created', 'storage.object.created', 'storage.object.created'])
    expect(events[0]!.data).toMatchObject({key: `executions/${executionId}/late/put/n1.txt`, size: 2, content_type: 'text/plain', route_id: 'late', stage: 'put', execution_id: executionId})
    const resumed = await readSse(url, {lastEventId: events[0]!.id, stopAfter: (_e, count) => count === 2})
    expect(resumed.map((e) => e.id)).toEqual(events.slice(1).map((e) => e.id))
    // The execution is not running here: its stream replays what the buffer has after the id, then ends.
    const stream = await readSse(`${base}/api/v1/executions/store-run/storage-stream`, {lastEventId: events[1]!.id})
    expect(stream.map((e) => e.event)).toEqual(['storage.object.created', 'execution.interrupted'])
    expect(stream[0]!.id).toBe(events[2]!.id)
    expect((await fetch(`${base}/api/v1/executions/no-such-tag/storage-stream`)).status).toBe(404)
  })
})
