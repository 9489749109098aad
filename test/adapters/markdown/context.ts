import {createLlmClients, type LlmClients} from '../../../src/llm/create-chat-client.js'
import {testResources} from '../../helpers/adapter-resources.js'
import {resolveProfiles} from '../../../src/llm/settings.js'
import {noTestDatabase} from '../../helpers/services.js'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {AdapterContext, AdapterResources} from '../../../src/adapters/types.js'
import {silentLogger} from '../../../src/logging/logger.js'
import {FileObjectStore} from '../../../src/storage/file-object-store.js'
import type {ObjectStore} from '../../../src/storage/types.js'

export const FIXTURES = fileURLToPath(new URL('../../fixtures/html/', import.meta.url))

export function readFixture(name: string): Promise<string> {
  return readFile(path.join(FIXTURES, name), 'utf8')
}

/** A FileObjectStore in a fresh temporary directory. */
export async function createScratchStorage(): Promise<{storage: FileObjectStore; remove(): Promise<void>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'factflow-markdown-'))
  return {storage: new FileObjectStore({root: dir, sync: 'off'}), remove: () => rm(dir, {recursive: true, force: true})}
}

export function resourcesFor(
  storage: ObjectStore, executionState = new Map<string, unknown>(), llm: LlmClients = createLlmClients(resolveProfiles(undefined, {})),
): AdapterResources {
  return testResources({storage, logger: silentLogger, executionState, llm, database: noTestDatabase})
}

export interface ContextOptions {
  metadata?: Record<string, unknown>
  messageId?: string
  stage?: string
  signal?: AbortSignal
}

/** A hand-made AdapterContext; `skipped` records what `markSkipped` was told. */
export type TestContext = AdapterContext & {skipped: string[]}

export function contextFor(storage: ObjectStore, payload: Record<string, unknown>, options: ContextOptions = {}): TestContext {
  const messageId = options.messageId ?? 'msg-2'
  const stage = options.stage ?? 'markdown'
  const metadata = options.metadata ?? {}
  const skipped: string[] = []
  return {
    message: {
      message_id: messageId, correlation_id: 'corr-1', parent_id: 'msg-1', execution_id: 'exec-1', route_id: 'docs',
      stage, timestamp: '2026-01-01T00:00:00.000000+00:00', attempt: 1, payload, metadata,
    },
    payload, metadata, executionId: 'exec-1', routeId: 'docs', stage, storage, logger: silentLogger,
    signal: options.signal ?? new AbortController().signal,
    storageKey: (extension = '') => `executions/exec-1/docs/${stage}/${messageId}${extension}`,
    markSkipped: (reason) => { skipped.push(reason) },
    count: () => {},
    skipped,
  }
}
