import {createWriteStream} from 'node:fs'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'

import {v7 as uuidv7} from 'uuid'

import {ConflictError, describeError, NotFoundError, UserInputError} from '../errors/index.js'
import type {Runtime} from '../runtime/runtime.js'
import {checkRequestKey} from './storage-service.js'

export type ArchiveStatus = 'pending' | 'running' | 'completed' | 'failed'

export interface ArchiveJob {
  id: string
  status: ArchiveStatus
  execution_id: string | null
  prefix: string
  object_count: number
  /** Size of the zip once completed. */
  bytes: number | null
  error: string | null
  created_at: Date
  completed_at: Date | null
}

/** Most objects one archive holds. */
export const MAX_ARCHIVE_OBJECTS = 100_000
/** Jobs kept (oldest dropped with their zip past it). */
const MAX_JOBS = 100

/**
 * Zip archives of an execution's artefacts or of a prefix, built in the background (docs/reference/server.md,
 * `/content/archive`): a job lists the keys, then streams each object into a zip file in a
 * temporary folder, one object open at a time, so memory stays flat whatever the sizes. Jobs live in
 * memory: a restart forgets them (and their files go with the temporary folder).
 */
export function createArchiveService(runtime: Runtime) {
  const jobs = new Map<string, ArchiveJob>()
  let folder: Promise<string> | undefined
  const workDir = () => folder ??= mkdtemp(path.join(os.tmpdir(), 'factflow-archives-'))
  const fileOf = async (id: string) => path.join(await workDir(), `${id}.zip`)

  async function build(job: ArchiveJob): Promise<void> {
    const {ZipFile} = await import('yazl')
    const store = runtime.storage
    job.status = 'running'
    const keys: string[] = []
    let cursor: string | undefined
    do {
      const page = await store.list(job.prefix, {limit: 1000, cursor})
      keys.push(...page.objects.map((object) => object.key))
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
    const file = await fileOf(job.id)
    await pipeline(zip.outputStream, createWriteStream(file))
    job.object_count = keys.length
    job.bytes = (await stat(file)).size
  }

  function forgetOldest(): void {
    while (jobs.size > MAX_JOBS) {
      const [oldest] = jobs.keys()
      jobs.delete(oldest!)
      void fileOf(oldest!).then((file) => rm(file, {force: true}))
    }
  }

  function requireJob(id: string): ArchiveJob {
    const job = jobs.get(id)
    if (!job) throw new NotFoundError('ARCHIVE_JOB_NOT_FOUND', `No archive job ${JSON.stringify(id)}.`)
    return job
  }

  return {
    /** Starts a job for an execution (id or tag) or a prefix; answers at once with the pending job. */
    async start(input: {execution_id?: string; prefix?: string}): Promise<ArchiveJob> {
      let executionId: string | null = null
      let prefix: string
      if (input.execution_id !== undefined) {
        executionId = (await (await runtime.store()).executions.resolve(input.execution_id)).id
        prefix = `executions/${executionId}/`
      } else {
        prefix = checkRequestKey(input.prefix ?? '', 'prefix')
      }
      const job: ArchiveJob = {
        id: uuidv7(), status: 'pending', execution_id: executionId, prefix, object_count: 0, bytes: null, error: null,
        created_at: new Date(), completed_at: null,
      }
      jobs.set(job.id, job)
      forgetOldest()
      void build(job).then(() => {
        job.status = 'completed'
      }, (error: unknown) => {
        job.status = 'failed'
        job.error = describeError(error)
        runtime.logger.warn({err: error, job: job.id}, 'archive job failed')
        void fileOf(job.id).then((file) => rm(file, {force: true}))
      }).finally(() => { job.completed_at = new Date() })
      return job
    },

    get: requireJob,

    /** The zip of a completed job; `ARCHIVE_NOT_READY` (409) before that or after a failure. */
    async file(id: string): Promise<{path: string; bytes: number; job: ArchiveJob}> {
      const job = requireJob(id)
      if (job.status !== 'completed' || job.bytes === null) {
        throw new ConflictError('ARCHIVE_NOT_READY', `Archive job ${job.id} is ${job.status}.`, {details: {status: job.status, error: job.error}})
      }
      return {path: await fileOf(job.id), bytes: job.bytes, job}
    },

    async close(): Promise<void> {
      if (folder) await rm(await folder, {recursive: true, force: true})
    },
  }
}

export type ArchiveService = ReturnType<typeof createArchiveService>
