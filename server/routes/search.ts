import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {createSearchApiService, type SearchMethod} from '../../src/services/search-service.js'
import {searchRequestSchemas, searchResponseSchema, searchSlotsSchema, searchSourceListSchema} from '../../src/api/search-schemas.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, errors, json, pageQuery, serialise} from './common.js'

const paths: Record<SearchMethod, string> = {vector: '', keyword: '/keyword', hybrid: '/hybrid'}
const summaries: Record<SearchMethod, string> = {
  vector: 'Vector search (cosine) over a slot; without pgvector answered by keyword search with a warning',
  keyword: 'Full-text search ranked by ts_rank',
  hybrid: 'Reciprocal-rank fusion of vector and keyword results',
}

export function registerSearchRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const search = createSearchApiService(runtime)
  const base = `${API_PREFIX}/search`

  for (const method of ['vector', 'keyword', 'hybrid'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `${base}${paths[method]}`, tags: ['search'], summary: summaries[method],
      request: {body: {content: {'application/json': {schema: searchRequestSchemas[method]}}, required: true}},
      responses: {200: json(searchResponseSchema), ...errors(400, 404, 422, 503)},
    }), async (c) => c.json(serialise(await search.search(method, c.req.valid('json') as Parameters<typeof search.search>[1])), 200))
  }

  app.openapi(createRoute({
    method: 'get', path: `${base}/slots`, tags: ['search'], summary: 'Embedding slots, and what vector search can do on this database',
    responses: {200: json(searchSlotsSchema), ...errors(503)},
  }), async (c) => c.json(await search.slots(), 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/sources`, tags: ['search'], summary: 'Documents with stored segments, by id',
    request: {query: z.object({...pageQuery, slot: z.string().min(1).max(200).optional()})},
    responses: {200: json(searchSourceListSchema), ...errors(422, 503)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await search.sources({slot: q.slot, limit: q.limit, offset: q.offset})
    return c.json({sources: items, ...rest}, 200)
  })
}
