import {createChatService, type ChatService} from '../chat/chat-service.js'
import {createEmbedder} from '../embeddings/embedder.js'
import type {Runtime} from '../runtime/runtime.js'
import {createSearchService} from '../search/search-service.js'

/**
 * The chat service of a runtime (the server's): over the runtime's database, LLM clients (one
 * limiter per profile, shared with the pipelines) and logger, built when first asked for. Search
 * embeds a question with the slot's own model (the offline `local` one).
 */
export function createRuntimeChatService(runtime: Runtime): () => Promise<ChatService> {
  let service: Promise<ChatService> | undefined
  return () => service ??= runtime.store().then(({db}) => createChatService({
    database: db,
    search: createSearchService({database: db, embedderFor: (slot) => createEmbedder('local', {model: slot.model, dimensions: slot.dimensions})}),
    llm: runtime.llm,
    logger: runtime.logger.child({component: 'chat'}),
  })).catch((error: unknown) => {
    service = undefined
    throw error
  })
}
