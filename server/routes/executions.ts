import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import type {AppEnv, AppServices} from '../app.js'
import {sseResponse} from '../sse.js'
import {API_PREFIX, anyObject, errors, idParam, json, pageQuery, serialise} from './common.js'
import {dagSchema, executionListSchema, executionStatusSchema} from '../../src/api/schemas.js'
import {executionSchema, toExecutionJson} from './execution-json.js'

const statusEnum = executionStatusSchema

const createBody = z.object({
  config_id: z.string().uuid(),
  tag: z.string().min(1).max(200).optional(),
  metadata: anyObject.optional(),
  idempotency_key: z.string().min(1).max(200).optional(),
  init_payload: anyObject.optional(),
}).strict()

export function registerExecutionRoutes(app: OpenAPIHono<AppEnv>, {executions, options}: AppServices) {
  const base = `${API_PREFIX}/executions`
  const one = <R extends ReturnType<typeof json>>(path: string, summary: string, response: R) => createRoute({
    method: 'get', path: `${base}/{id}${path}`, tags: ['executions'], summary, request: {params: idParam}, responses: {200: response, ...errors(404)},
  })

  app.openapi(createRoute({
    method: 'post', path: base, tags: ['executions'], summary: 'Start an execution of a stored config',
    request: {body: {content: {'application/json': {schema: createBody}}, required: true}},
    responses: {201: json(executionSchema, 'Started'), 200: json(executionSchema, 'Already started with this idempotency key'), ...errors(400, 404, 409, 422, 429)},
  }), async (c) => {
    const input = c.req.valid('json')
    const {view, created} = await executions.create({
      configId: input.config_id, tag: input.tag, metadata: input.metadata, idempotencyKey: input.idempotency_key,
      initPayload: input.init_payload, createdBy: c.get('identity')?.user ?? null,
    })
    return c.json(toExecutionJson(view), created ? 201 : 200)
  })

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['executions'], summary: 'List executions, newest first',
    request: {query: z.object({...pageQuery, status: statusEnum.optional(), config_id: z.string().uuid().optional(),
      tag: z.string().min(1).max(200).optional().openapi({description: 'Executions whose tag starts with this (a whole tag finds its one execution)'})})},
    responses: {200: json(executionListSchema), ...errors(422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await executions.list({limit: q.limit, offset: q.offset, status: q.status, config_id: q.config_id, tag: q.tag})
    return c.json(serialise({executions: items.map((item) => toExecutionJson(item as never)), ...rest}), 200)
  })

  app.openapi(one('', 'An execution (by id or tag) with its snapshot and counts', json(executionSchema)), async (c) => c.json(toExecutionJson(await executions.get(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'patch', path: `${base}/{id}`, tags: ['executions'], summary: 'Cancel, or mark a stuck execution failed/completed',
    request: {params: idParam, body: {content: {'application/json': {schema: z.object({status: z.enum(['cancelled', 'failed', 'completed'])}).strict()}}, required: true}},
    responses: {200: json(executionSchema), ...errors(404, 409, 422)},
  }), async (c) => c.json(toExecutionJson(await executions.setStatus(c.req.valid('param').id, c.req.valid('json').status)), 200))

  for (const action of ['cancel', 'resume'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `${base}/{id}/${action}`, tags: ['executions'],
      summary: action === 'cancel' ? 'Cancel a running execution' : 'Resume an interrupted execution',
      request: {params: idParam}, responses: {200: json(executionSchema), ...errors(404, 409, 429)},
    }), async (c) => c.json(toExecutionJson(await executions[action](c.req.valid('param').id)), 200))
  }

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}/events`, tags: ['executions'], summary: 'The execution\'s event stream (SSE; resumes after Last-Event-ID)',
    request: {params: idParam}, responses: {200: {description: 'text/event-stream', content: {'text/event-stream': {schema: z.string()}}}, ...errors(404)},
  }), async (c) => {
    const source = await executions.eventSource(c.req.valid('param').id)
    return sseResponse(c, source, options.heartbeatMs) as never
  })

  app.openapi(one('/stats', 'Per-route counters and totals', json(anyObject)), async (c) => c.json(await executions.stats(c.req.valid('param').id), 200))
  app.openapi(one('/dag', 'Routes as nodes, queues as edges', json(dagSchema)), async (c) => c.json(await executions.dag(c.req.valid('param').id), 200))
  app.openapi(one('/routes', 'Each route with its queue, adapters and state', json(z.object({routes: z.array(anyObject)}))),
    async (c) => c.json({routes: await executions.routes(c.req.valid('param').id)}, 200))
  app.openapi(one('/monitor', 'Execution, DAG, per-route counts and totals in one call', json(anyObject)), async (c) => {
    const id = c.req.valid('param').id
    const [execution, dag, stats] = await Promise.all([executions.get(id), executions.dag(id), executions.stats(id)])
    const {config_snapshot: _snapshot, ...rest} = toExecutionJson(execution)
    return c.json({execution: rest, dag, ...stats}, 200)
  })
}
