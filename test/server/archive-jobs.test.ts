import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createArchiveJobRepository, INTERRUPTED_ARCHIVE_ERROR} from '../../src/archives/archive-job-repository.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTestServer, type TestServer} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
type Json = any

async function finished(server: TestServer, id: string): Promise<Json> {
  for (let i = 0; i < 400; i++) {
    const job = (await server.call('GET', `/api/v1/content/archive/${id}`)).body
    if (job.status === 'completed' || job.status === 'failed') return job
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`archive job ${id} did not finish`)
}

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`archive jobs on ${store}`, () => {
    let work: string
    let databaseUrl: string
    let scratch: ScratchDatabase | undefined
    let server: TestServer
    let executionId: string
    const big = randomBytes(300_000)

    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'factflow-archive-jobs-'))
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      databaseUrl = scratch?.url ?? `pglite://${work}/db`
      server = await startTestServer({work, databaseUrl})
      const {executions} = await server.runtime.store()
      executionId = (await executions.create({config_name: 'archive', config_snapshot: {}, tag: 'archive-run'})).id
      await server.runtime.storage.put(`executions/${executionId}/crawl/fetch/a.html`, '<p>a</p>', {execution_id: executionId})
      await server.runtime.storage.put(`executions/${executionId}/convert/markdown/big.bin`, big, {execution_id: executionId})
      await server.runtime.storage.put('notes/readme.txt', 'not in the execution')
    }, 120_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
      await rm(work, {recursive: true, force: true})
    })

    it('keeps a job and its zip (an object under archives/) across a restart, served with ETag and Range', async () => {
      const started = await server.call('POST', '/api/v1/content/archive', {execution_id: 'archive-run'})
      expect(started.status).toBe(202)
      const job = await finished(server, started.body.id)
      expect(job).toMatchObject({status: 'completed', object_count: 2, key: `archives/${job.id}.zip`, error: null})
      const listed = await server.call('GET', '/api/v1/storage/objects?prefix=archives/')
      expect(listed.body.objects.map((o: Json) => o.key)).toEqual([job.key])

      await server.close()
      server = await startTestServer({work, databaseUrl})

      expect((await server.call('GET', `/api/v1/content/archive/${job.id}`)).body).toEqual(job)
      const download = await server.app.request(job.download_url)
      expect(download.status).toBe(200)
      expect(download.headers.get('content-type')).toBe('application/zip')
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename="execution-${executionId}.zip"`)
      const zip = Buffer.from(await download.arrayBuffer())
      expect(zip.byteLength).toBe(job.bytes)
      expect(download.headers.get('etag')).toBe(`"${createHash('sha256').update(zip).digest('hex')}"`)
      const zipFile = path.join(work, 'restarted.zip')
      await writeFile(zipFile, zip)
      expect(execFileSync('unzip', ['-Z1', zipFile], {encoding: 'utf8'}).trim().split('\n').sort()).toEqual([
        `executions/${executionId}/convert/markdown/big.bin`, `executions/${executionId}/crawl/fetch/a.html`,
      ])
      expect(execFileSync('unzip', ['-p', zipFile, `executions/${executionId}/convert/markdown/big.bin`]).equals(big)).toBe(true)
      expect(execFileSync('unzip', ['-p', zipFile, `executions/${executionId}/crawl/fetch/a.html`], {encoding: 'utf8'})).toBe('<p>a</p>')

      const range = await server.app.request(job.download_url, {headers: {range: 'bytes=0-3'}})
      expect(range.status).toBe(206)
      expect(Buffer.from(await range.arrayBuffer())).toEqual(Buffer.from('PK\x03\x04', 'latin1'))
      expect((await server.app.request(job.download_url, {headers: {'if-none-match': download.headers.get('etag')!}})).status).toBe(304)

      // An archive of everything leaves the earlier zips out.
      const everything = await finished(server, (await server.call('POST', '/api/v1/content/archive', {prefix: ''})).body.id)
      expect(everything).toMatchObject({status: 'completed', object_count: 3})
    }, 120_000)

    it('fails the jobs a stopped process left pending or running, and keeps finished ones', async () => {
      const jobs = createArchiveJobRepository((await server.runtime.store()).db)
      const done = await finished(server, (await server.call('POST', '/api/v1/content/archive', {prefix: 'notes/'})).body.id)
      const running = await jobs.create({id: '01900000-0000-7000-8000-000000000001', owner: null, execution_id: null, prefix: 'notes/'})
      await jobs.markRunning(running.id)
      const pending = await jobs.create({id: '01900000-0000-7000-8000-000000000002', owner: null, execution_id: null, prefix: 'notes/'})

      expect((await jobs.markInterrupted()).sort()).toEqual([running.id, pending.id])
      for (const id of [running.id, pending.id]) {
        const job = (await server.call('GET', `/api/v1/content/archive/${id}`)).body
        expect(job).toMatchObject({status: 'failed', error: INTERRUPTED_ARCHIVE_ERROR, download_url: null, completed_at: expect.any(String)})
        const download = await server.call('GET', `/api/v1/content/archive/${id}/download`)
        expect(download.status).toBe(409)
        expect(download.body.error_code).toBe('ARCHIVE_NOT_READY')
      }
      expect((await server.call('GET', `/api/v1/content/archive/${done.id}`)).body).toEqual(done)
      expect(await jobs.markInterrupted()).toEqual([])
    }, 60_000)

    it('shows a job only to the identity that started it', async () => {
      const jobs = createArchiveJobRepository((await server.runtime.store()).db)
      const owned = await jobs.create({id: '01900000-0000-7000-8000-000000000003', owner: 'alice', execution_id: null, prefix: 'notes/'})
      expect(await jobs.get(owned.id, 'alice')).toMatchObject({id: owned.id, owner: 'alice'})
      expect(await jobs.get(owned.id, null)).toBeUndefined()
      expect((await server.call('GET', `/api/v1/content/archive/${owned.id}`)).status).toBe(404)
    })
  })
}
