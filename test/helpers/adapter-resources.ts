import type {AdapterResources} from '../../src/adapters/types.js'
import {createFetchers} from '../../src/adapters/web/fetchers.js'
import {createInlineCpuPool} from '../../src/cpu/inline-cpu-pool.js'
import {createEmbedders} from '../../src/embeddings/embedders.js'
import {createLlmClients} from '../../src/llm/create-chat-client.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import {silentLogger} from '../../src/logging/logger.js'

const noDatabase = () => Promise.reject(new Error('this test has no database'))

/** Adapter resources as a runtime gives them, with offline LLM profiles; `overrides` replace parts. */
export function testResources(overrides: Partial<AdapterResources> = {}): AdapterResources {
  const llm = overrides.llm ?? createLlmClients(resolveProfiles(undefined, {}))
  return {
    storage: undefined as never, logger: silentLogger, executionState: new Map(), database: noDatabase,
    embedders: createEmbedders(llm), fetchers: createFetchers(), files: {root: '/'}, cpu: createInlineCpuPool(), newDatabase: false,
    ...overrides, llm,
  }
}
