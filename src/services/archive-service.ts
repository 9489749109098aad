import {createWriteStream} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'

import {v7 as uuidv7} from 'uuid'

import {type ArchiveJob, type ArchiveOwner, createArchiveJobRepository} from '../archives/archive-job-repository.js'
import {ConflictError, describeError, NotFoundError, UserInputError} from '../errors/index.js'
import type {Runtime} from '../runtime/runtime.js'
import {checkRequestKey} from './storage-service.js'

export type {ArchiveJob, ArchiveStatus} from '../archives/archive-job-repository.js'

/** Most objects one archive holds. */
export const MAX_ARCHIVE_OBJECTS = 100_000
/** Finished jobs kept (older ones are deleted with their zip). */
const MAX_JOBS = 100
/** Where the zips live in the object store: `archives/<job id>.zip`. */
export const ARCHIVE_KEY_PREFIX = 'archives/'

/**
 * Zip archives of an execution's artefacts or of a prefix, built in the background
 * (docs/reference/server.md, `/content/archive`). The job is a row in `archive_jobs`; the build lists
 * the keys, streams each object into a zip in a temporary file (one object open at a time, so
 * memory stays flat), then streams that file into the object store as `archives/<id>.zip`. Both
 * survive a restart; a job a stopped process left unfinished is failed when the server starts
 * (`ArchiveJobRepository.markInterrupted`, server/start-server.ts).
 */
export function createArchiveService(runtime: Runtime) {
  const repository = async () => createArchiveJobRepository((await runtime.store()).db)
  const building = new Set<Promise<void>>()

  async function build(job: ArchiveJob): Promise<{object_count: number; bytes: number; key: string}> {
    const {ZipFile} = await import('yazl')
    const store = runtime.storage
    await (await repository()).markRunning(job.id)
    const keys: string[] = []
    let cursor: string | undefined
    do {
      const page = await store.list(job.prefix, {limit: 1000, cursor})
      // Earlier archives are not archived again unless asked for by their own prefix.
      keys.push(...page.objects.map((object) => object.key).filter((key) => job.prefix.startsWith(ARCHIVE_KEY_PREFIX) || !key.startsWith(ARCHIVE_KEY_PREFIX)))
      if (keys.length > MAX_ARCHIVE_OBJECTS) throw new UserInputError('ARCHIVE_TOO_LARGE', `More than ${MAX_ARCHIVE_OBJECTS} objects are under ${JSON.stringify(job.prefix)}.`)
      cursor = page.next_cursor
    } while (cursor !== undefined)
    const zip = new ZipFile()
    for (const key of keys) {
      // Opened only when the zip reaches this entry: one object stream at a time.
      zip.addReadStreamLazy(key, (done) => {
        store.getStream(key).then(({stream}) => done(null, stream), (error: unknown) => done(error, undefined as never))
      })
    }
    zip.end()
    const folder = await mkdtemp(path.join(os.tmpdir(), 'factflow-archive-'))
    try {
      const file = path.join(folder, `${job.id}.zip`)
      await pipeline(zip.outputStream, createWriteStream(file))
      const key = `${ARCHIVE_KEY_PREFIX}${job.id}.zip`
      const stored = await store.putFile(key, file, {content_type: 'application/zip', archive_job_id: job.id})
      return {object_count: keys.length, bytes: stored.size, key}
    } finally {
      await rm(folder, {recursive: true, force: true})
    }
  }

  async function run(job: ArchiveJob): Promise<void> {
    const jobs = await repository()
    try {
      await jobs.complete(job.id, await build(job))
    } catch (error) {
      runtime.logger.warn({err: error, job: job.id}, 'archive job failed')
      await jobs.fail(job.id, describeError(error)).catch((failed: unknown) => runtime.logger.warn({err: failed, job: job.id}, 'cannot record the archive job\'s failure'))
      return
    }
    for (const key of await jobs.prune(MAX_JOBS)) await runtime.storage.delete(key).catch(() => {})
  }

  async function requireJob(id: string, owner: ArchiveOwner): Promise<ArchiveJob> {
    const job = await (await repository()).get(id, owner)
    if (!job) throw new NotFoundError('ARCHIVE_JOB_NOT_FOUND', `No archive job ${JSON.stringify(id.slice(0, 200))}.`)
    return job
  }

  return {
    /** Starts a job for an execution (id or tag) or a prefix; answers at once with the pending job. */
    async start(input: {execution_id?: string; prefix?: string}, owner: ArchiveOwner = null): Promise<ArchiveJob> {
      let executionId: string | null = null
      let prefix: string
      if (input.execution_id !== undefined) {
        executionId = (await (await runtime.store()).executions.resolve(input.execution_id)).id
        prefix = `executions/${executionId}/`
      } else {
        prefix = checkRequestKey(input.prefix ?? '', 'prefix')
      }
      const job = await (await repository()).create({id: uuidv7(), owner, execution_id: executionId, prefix})
      const running = run(job).finally(() => building.delete(running))
      building.add(running)
      return job
    },

    /** @throws NotFoundError `ARCHIVE_JOB_NOT_FOUND` (also for another identity's job). */
    get: requireJob,

    /** The object key of a completed job's zip; `ARCHIVE_NOT_READY` (409) before that or after a failure. */
    async download(id: string, owner: ArchiveOwner): Promise<{key: string; job: ArchiveJob}> {
      const job = await requireJob(id, owner)
      if (job.status !== 'completed' || job.key === null) {
        throw new ConflictError('ARCHIVE_NOT_READY', `Archive job ${job.id} is ${job.status}.`, {details: {status: job.status, error: job.error}})
      }
      return {key: job.key, job}
    },

    /** Waits for the builds in progress (tests; a server stopping mid-build leaves the job to be failed at the next start). */
    async settle(): Promise<void> {
      await Promise.all([...building])
    },
  }
}

export type ArchiveService = ReturnType<typeof createArchiveService>
