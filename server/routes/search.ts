import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {createSearchApiService, type SearchMethod} from '../../src/services/search-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, anyObject, errors, json, pageQuery, serialise} from './common.js'

const hit = z.object({
  id: z.string(), slot: z.string(), document_id: z.string(), segment_index: z.number(), text: z.string(),
  heading_path: z.array(z.unknown()), metadata: anyObject, score: z.number(),
}).openapi('SearchHit')
const searchResponse = z.object({
  query: z.string(), mode: z.enum(['vector', 'keyword', 'hybrid']), hits: z.array(hit),
  warning: z.string().optional().openapi({description: 'Why the answer is not what was asked for (no pgvector: answered by keyword search)'}),
}).openapi('SearchResponse')

const name = z.string().min(1).max(200)
const baseBody = {
  query: z.string().min(1).max(10_000).refine((q) => q.trim() !== '', 'The query is blank'),
  slot: name.optional().openapi({description: 'Embedding slot (default: the only one; keyword search: every slot)'}),
  limit: z.number().int().min(1).max(200).optional().openapi({description: '1..200, default 10'}),
  source: z.string().min(1).max(2000).optional().openapi({description: 'Only documents whose id or source starts with this'}),
}
const language = name.regex(/^[a-z_]+$/, 'a text search configuration name such as simple, english').optional()
const bodies: Record<SearchMethod, z.ZodType> = {
  vector: z.object(baseBody).strict().openapi('VectorSearchRequest'),
  keyword: z.object({...baseBody, language}).strict().openapi('KeywordSearchRequest'),
  hybrid: z.object({...baseBody, language}).strict().openapi('HybridSearchRequest'),
}
const paths: Record<SearchMethod, string> = {vector: '', keyword: '/keyword', hybrid: '/hybrid'}
const summaries: Record<SearchMethod, string> = {
  vector: 'Vector search (cosine) over a slot; without pgvector answered by keyword search with a warning',
  keyword: 'Full-text search ranked by ts_rank',
  hybrid: 'Reciprocal-rank fusion of vector and keyword results',
}

const slotSchema = z.object({slot: z.string(), model: z.string(), dimensions: z.number(), segments: z.number(), documents: z.number(), created_at: z.string()})
const sourceSchema = z.object({document_id: z.string(), title: z.string().nullable(), url: z.string().nullable(), segments: z.number(), slots: z.array(z.string()), updated_at: z.string()})

export function registerSearchRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const search = createSearchApiService(runtime)
  const base = `${API_PREFIX}/search`

  for (const method of ['vector', 'keyword', 'hybrid'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `${base}${paths[method]}`, tags: ['search'], summary: summaries[method],
      request: {body: {content: {'application/json': {schema: bodies[method]}}, required: true}},
      responses: {200: json(searchResponse), ...errors(400, 404, 422, 503)},
    }), async (c) => c.json(serialise(await search.search(method, c.req.valid('json') as Parameters<typeof search.search>[1])), 200))
  }

  app.openapi(createRoute({
    method: 'get', path: `${base}/slots`, tags: ['search'], summary: 'Embedding slots, and what vector search can do on this database',
    responses: {200: json(z.object({slots: z.array(slotSchema), vector: z.enum(['pgvector', 'exact', 'unavailable']), warning: z.string().optional()})), ...errors(503)},
  }), async (c) => c.json(await search.slots(), 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/sources`, tags: ['search'], summary: 'Documents with stored segments, by id',
    request: {query: z.object({...pageQuery, slot: name.optional()})},
    responses: {200: json(z.object({sources: z.array(sourceSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})), ...errors(422, 503)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await search.sources({slot: q.slot, limit: q.limit, offset: q.offset})
    return c.json({sources: items, ...rest}, 200)
  })
}
