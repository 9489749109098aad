import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {lineageChainSchema, lineageChildrenSchema, lineagePageSchema, lineageRowSchema, lineageStatsSchema, stageStatusSchema} from '../../src/api/lineage-schemas.js'
import {LINEAGE_SORT_FIELDS} from '../../src/lineage/lineage-queries.js'
import {createLineageService} from '../../src/services/lineage-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, errors, idParam, json, pageQuery, serialise} from './common.js'

const stageStatus = stageStatusSchema
const listSchema = lineagePageSchema
const text = z.string().min(1).max(2000)
const instant = z.string().datetime({offset: true}).openapi({description: 'ISO 8601 date-time'})

/** Filters of `GET /lineage` (docs/reference/server.md); `GET /executions/{id}/lineage` takes the same but `execution_id`. */
const filters = {
  ...pageQuery,
  route_id: text.optional(),
  status: stageStatus.optional(),
  adapter: text.optional(),
  is_root: z.enum(['true', 'false']).optional().openapi({description: 'Only rows of root messages (true) or of derived ones (false)'}),
  url: text.optional().openapi({description: 'metadata.url equals'}),
  origin: text.optional().openapi({description: 'metadata.origin equals'}),
  title: text.optional().openapi({description: 'metadata.title contains (any case)'}),
  document_id: text.optional().openapi({description: 'metadata.document_id equals'}),
  started_after: instant.optional(),
  started_before: instant.optional(),
  sort_by: z.enum(LINEAGE_SORT_FIELDS).default('started_at'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
}
type FilterQuery = z.infer<z.ZodObject<typeof filters>>

function toListOptions(q: FilterQuery) {
  return {
    limit: q.limit, offset: q.offset, route_id: q.route_id, status: q.status, adapter: q.adapter,
    is_root: q.is_root === undefined ? undefined : q.is_root === 'true',
    url: q.url, origin: q.origin, title: q.title, document_id: q.document_id,
    started_after: q.started_after === undefined ? undefined : new Date(q.started_after),
    started_before: q.started_before === undefined ? undefined : new Date(q.started_before),
    sort_by: q.sort_by, sort_order: q.sort_order,
  }
}

const statsSchema = lineageStatsSchema
const chainSchema = lineageChainSchema

export function registerLineageRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const lineage = createLineageService(runtime)
  const base = `${API_PREFIX}/lineage`
  const executionQuery = text.max(200).openapi({description: 'execution id or tag'})

  // The fixed paths come before `/lineage/{id}`, which would otherwise take them as ids.
  app.openapi(createRoute({
    method: 'get', path: base, tags: ['lineage'], summary: 'Lineage rows: filters, sort and paging',
    request: {query: z.object({...filters, execution_id: executionQuery.optional()})},
    responses: {200: json(listSchema), ...errors(400, 404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await lineage.list({...toListOptions(q), execution_id: q.execution_id})
    return c.json(serialise({lineage: items, ...rest}) as never, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/failures`, tags: ['lineage'], summary: 'Failed lineage rows, newest first',
    request: {query: z.object({...pageQuery, execution_id: executionQuery.optional(), route_id: text.optional()})},
    responses: {200: json(listSchema), ...errors(400, 404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await lineage.failures(q)
    return c.json(serialise({lineage: items, ...rest}) as never, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/stats`, tags: ['lineage'], summary: 'Per route and adapter: count, completed, failed, avg and p95 duration',
    request: {query: z.object({execution_id: executionQuery})},
    responses: {200: json(statsSchema), ...errors(404, 422)},
  }), async (c) => c.json(await lineage.stats(c.req.valid('query').execution_id), 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/batch/{batch_id}`, tags: ['lineage'], summary: 'Lineage rows caused by one replay batch',
    request: {params: z.object({batch_id: z.string().min(1).max(200).openapi({param: {name: 'batch_id', in: 'path'}})}), query: z.object(pageQuery)},
    responses: {200: json(listSchema), ...errors(404, 422)},
  }), async (c) => {
    const {items, ...rest} = await lineage.batch(c.req.valid('param').batch_id, c.req.valid('query'))
    return c.json(serialise({lineage: items, ...rest}) as never, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}`, tags: ['lineage'], summary: 'One lineage row',
    request: {params: idParam}, responses: {200: json(lineageRowSchema), ...errors(404)},
  }), async (c) => c.json(serialise(await lineage.get(c.req.valid('param').id)) as never, 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}/chain`, tags: ['lineage'], summary: 'The row with its ancestors (root first), its message\'s rows and its descendants',
    request: {params: idParam, query: z.object({max_depth: z.coerce.number().int().min(1).max(1000).default(1000)})},
    responses: {200: json(chainSchema), ...errors(404, 422)},
  }), async (c) => c.json(serialise(await lineage.chain(c.req.valid('param').id, c.req.valid('query').max_depth)) as never, 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}/children`, tags: ['lineage'], summary: 'Rows of the messages emitted from the row\'s message',
    request: {params: idParam},
    responses: {200: json(lineageChildrenSchema), ...errors(404)},
  }), async (c) => {
    const {row, children} = await lineage.children(c.req.valid('param').id)
    return c.json(serialise({id: row.id, message_id: row.message_id, children}) as never, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/executions/{id}/lineage`, tags: ['executions', 'lineage'], summary: 'The execution\'s lineage rows (filters, sort and paging as GET /lineage)',
    request: {params: idParam, query: z.object(filters)},
    responses: {200: json(listSchema), ...errors(404, 422)},
  }), async (c) => {
    const {items, ...rest} = await lineage.list({...toListOptions(c.req.valid('query')), execution_id: c.req.valid('param').id})
    return c.json(serialise({lineage: items, ...rest}) as never, 200)
  })
}
