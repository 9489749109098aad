import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {NotFoundError} from '../../src/errors/index.js'
import {scopeDestination} from '../../src/queue/create-queue-provider.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, anyObject, errors, json} from './common.js'

const routeState = z.object({
  execution_id: z.string(), route_id: z.string(), name: z.string(), queue: z.string(), state: z.enum(['running', 'paused']),
  counters: anyObject,
}).openapi('RouteState')

export function registerPipelineRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const base = `${API_PREFIX}/pipelines`

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['pipelines'], summary: 'Routes of running executions with their processor state and queue',
    request: {query: z.object({execution_id: z.string().min(1).max(200).optional()})},
    responses: {200: json(z.object({routes: z.array(routeState)})), ...errors(404)},
  }), async (c) => {
    const wanted = c.req.valid('query').execution_id
    const executions = wanted === undefined ? runtime.executions.list() : [runtime.executions.require(wanted)]
    const routes = executions.flatMap((execution) => {
      const counters = execution.counters()
      return Object.entries(execution.pipeline.routes).map(([id, route]) => ({
        execution_id: execution.id, route_id: id, name: route.name ?? id, queue: scopeDestination(route.inbound.queue, execution.id),
        state: counters[id]?.paused ? 'paused' as const : 'running' as const, counters: {...counters[id]},
      }))
    })
    return c.json({routes}, 200)
  })

  app.openapi(createRoute({
    method: 'patch', path: `${base}/{route_id}`, tags: ['pipelines'], summary: 'Pause or resume a route (in every running execution that has it, or one)',
    request: {
      params: z.object({route_id: z.string().min(1).max(200).openapi({param: {name: 'route_id', in: 'path'}})}),
      query: z.object({execution_id: z.string().min(1).max(200).optional()}),
      body: {content: {'application/json': {schema: z.object({state: z.enum(['paused', 'running'])}).strict()}}, required: true},
    },
    responses: {200: json(z.object({route_id: z.string(), state: z.enum(['paused', 'running']), executions: z.array(z.string())})), ...errors(404, 422)},
  }), async (c) => {
    const {route_id: routeId} = c.req.valid('param')
    const {state} = c.req.valid('json')
    const touched = runtime.executions.setRouteState(routeId, state, c.req.valid('query').execution_id)
    if (touched.length === 0) {
      throw new NotFoundError('ROUTE_NOT_FOUND', `No running execution has a route ${JSON.stringify(routeId)}.`, {hint: 'GET /pipelines lists the routes of running executions.'})
    }
    return c.json({route_id: routeId, state, executions: touched}, 200)
  })
}
