import {noTestDatabase} from '../../helpers/services.js'
import {testResources} from '../../helpers/adapter-resources.js'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {AdapterContext, AdapterOutput, AdapterResources, AdapterResult} from '../../../src/adapters/types.js'
import type {Database} from '../../../src/db/types.js'
import type {Logger} from '../../../src/logging/logger.js'
import {FileObjectStore} from '../../../src/storage/file-object-store.js'
import type {FinishedWork} from '../../../src/engine/finished-work.js'

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error'
  fields: Record<string, unknown>
  message: string
}

/** A logger that keeps what it is told (tests assert on warnings and notices). */
export function recordingLogger(entries: LogEntry[] = []): Logger & {entries: LogEntry[]} {
  const log = (level: LogEntry['level']) => (fields: Record<string, unknown>, message: string) => {
    entries.push({level, fields, message})
  }
  const logger: Logger & {entries: LogEntry[]} = {
    entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger,
  }
  return logger
}

/** One execution's worth of adapter resources over a scratch file store. */
export interface WebHarness {
  storage: FileObjectStore
  resources: AdapterResources
  logger: ReturnType<typeof recordingLogger>
  /** A context for one message; `skipped` records what `markSkipped` was told. */
  context(payload: Record<string, unknown>, options?: ContextOptions): AdapterContext & {skipped?: string}
  close(): Promise<void>
}

export interface ContextOptions {
  messageId?: string
  stage?: string
  metadata?: Record<string, unknown>
  signal?: AbortSignal
}

export interface WebHarnessOptions {
  /** The run's database (default: none, as `noTestDatabase`). */
  database?: () => Promise<Database>
  /** Default `exec-1`; another id with the same `storageRoot` and database is a later run. */
  executionId?: string
  /** A storage folder to reuse (left in place on close); default a new one, removed on close. */
  storageRoot?: string
  /** `AdapterResources.finishedWork` (default: none, so no chain ends for work an earlier run finished). */
  finishedWork?: FinishedWork
}

export async function createWebHarness(options: WebHarnessOptions = {}): Promise<WebHarness> {
  const dir = options.storageRoot ?? await mkdtemp(path.join(tmpdir(), 'factflow-web-'))
  const executionId = options.executionId ?? 'exec-1'
  const storage = new FileObjectStore({root: dir, sync: 'off'})
  const logger = recordingLogger()
  const resources: AdapterResources = testResources({
    storage, logger, database: options.database ?? noTestDatabase, ...(options.finishedWork === undefined ? {} : {finishedWork: options.finishedWork}),
  })
  return {
    storage, resources, logger,
    context(payload, options = {}) {
      const messageId = options.messageId ?? 'msg-1'
      const stage = options.stage ?? 'fetch'
      const metadata = options.metadata ?? {}
      const context: AdapterContext & {skipped?: string} = {
        message: {
          message_id: messageId, correlation_id: `corr-${messageId}`, parent_id: null, execution_id: executionId, route_id: 'crawl',
          stage: null, timestamp: '2026-01-01T00:00:00.000000+00:00', attempt: 1, payload, metadata,
        },
        payload, metadata, executionId, routeId: 'crawl', stage, storage, logger,
        signal: options.signal ?? new AbortController().signal,
        storageKey: (extension = '') => `executions/${executionId}/crawl/${stage}/${messageId}${extension}`,
        markSkipped(reason) {
          context.skipped = reason
        },
        count: () => {},
      }
      return context
    },
    close: () => (options.storageRoot === undefined ? rm(dir, {recursive: true, force: true}) : Promise.resolve()),
  }
}

/** The single output of an adapter call (fails the test on fan-out or end of chain). */
export function single(result: AdapterResult): AdapterOutput {
  if (result == null || Array.isArray(result) || Symbol.asyncIterator in result) throw new Error(`expected one output, got ${JSON.stringify(result)}`)
  return result
}

/** The thrown value of a promise that must reject. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}
