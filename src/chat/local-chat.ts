import {createEmbedder} from '../embeddings/embedder.js'
import {createLlmClients, type LlmClients} from '../llm/create-chat-client.js'
import type {Logger} from '../logging/logger.js'
import {createSearchService, type SearchService} from '../search/search-service.js'
import {type ChatService, createChatService} from './chat-service.js'

export interface LocalChatOptions {
  /** The embedded database `factflow run` wrote (default ./output/db), or a postgres:// URL. */
  databaseUrl: string
  logger?: Logger
  /** The LLM profiles that answer (default: those of `factflow.yaml` / `FACTFLOW_SETTINGS`). */
  llm?: LlmClients
}

export interface LocalChat {
  chat: ChatService
  /** The search service the chat retrieves with. */
  search: SearchService
  close(): Promise<void>
}

/**
 * `factflow chat --local`: the chat service over the database an inline run wrote, searching each
 * slot with its own (offline `local`) embedder, answering with the profiles of `factflow.yaml` /
 * `FACTFLOW_SETTINGS` (only `local` without one). Threads are stored in that database, without owner.
 */
export async function openLocalChat(options: LocalChatOptions): Promise<LocalChat> {
  const [{openDatabase}, {migrate}] = await Promise.all([import('../db/open-database.js'), import('../db/migrate.js')])
  const database = await openDatabase(options.databaseUrl, {logger: options.logger})
  try {
    await migrate(database)
  } catch (error) {
    await database.close().catch(() => undefined)
    throw error
  }
  const search = createSearchService({database, embedderFor: (slot) => createEmbedder('local', {model: slot.model, dimensions: slot.dimensions})})
  const chat = createChatService({database, search, llm: options.llm ?? createLlmClients(), logger: options.logger})
  return {chat, search, close: () => database.close()}
}
