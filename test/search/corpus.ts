import {embeddingGeneratorConfig} from '../../src/adapters/llm/catalog.js'
import {testResources} from '../helpers/adapter-resources.js'
import {createEmbeddingGenerator} from '../../src/adapters/llm/embedding-generator.js'
import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createLocalEmbedder} from '../../src/embeddings/local-embedder.js'
import {createSearchService, type SearchService} from '../../src/search/search-service.js'
import {segmentContext, segmentPayloads} from '../embeddings/segments.js'

/** Hand-written documents, each about one thing, so a query has one right answer. */
export const CORPUS: Record<string, string[]> = {
  'https://docs.test/install': [
    'Installing factflow: run npm install -g factflow, then check the installed version with factflow --version.',
    'Upgrading: install the newer release over the old one; migrations run on the next start.',
  ],
  'https://docs.test/queues': [
    'Message brokers: RabbitMQ speaks AMQP and STOMP; the in-memory broker needs no server at all.',
    'Prefetch and acknowledgements decide how many messages a consumer holds at once.',
  ],
  'https://docs.test/bread': [
    'Sourdough bread: feed the starter, knead the dough, let it rise overnight and bake it in a hot oven.',
  ],
  'file:///notes/embeddings.md': [
    'Embeddings turn each segment into a vector; similar passages get nearby vectors and cosine similarity ranks them.',
  ],
}

/** Runs embedding_generator (local provider, slot `docs`) over the corpus. */
export async function loadCorpus(db: Database, slot = 'docs'): Promise<void> {
  const adapter = await createEmbeddingGenerator(embeddingGeneratorConfig.parse({provider: 'local', slot}), testResources({database: async () => db}))
  const payloads = Object.entries(CORPUS).flatMap(([id, texts]) => segmentPayloads(id, texts))
  await Promise.all(payloads.map((payload) => adapter.process(segmentContext(payload))))
  await adapter.close?.()
}

export const embedderFor = ({dimensions}: {dimensions: number}) => createLocalEmbedder({dimensions})

/** An in-memory PGlite (this thread) with the corpus embedded into each of `slots`, and a search service over it. */
export async function openSearchCorpus(slots: string[] = ['docs']): Promise<{db: Database; search: SearchService}> {
  const db = await openDatabase('memory://', {pgliteWorker: false})
  await migrate(db)
  for (const slot of slots) await loadCorpus(db, slot)
  return {db, search: createSearchService({database: db, embedderFor})}
}
