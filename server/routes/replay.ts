import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {detachedReplayBodySchema, replayExecutionBodySchema, replayListSchema, replayResultSchema} from '../../src/api/schemas.js'
import {createReplayService} from '../../src/services/replay-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, errors, idParam, json, pageQuery, serialise} from './common.js'
import {executionSchema, toExecutionJson} from './execution-json.js'

/** Replay (docs/reference/server.md, "executions" and "replay"; docs/reference/engine.md, "Replay"). */
export function registerReplayRoutes(app: OpenAPIHono<AppEnv>, {runtime, executions}: AppServices) {
  const replays = createReplayService(runtime)

  app.openapi(createRoute({
    method: 'post', path: `${API_PREFIX}/executions/{id}/replay`, tags: ['executions', 'replay'],
    summary: 'Replay a stage\'s stored artefacts of an ended execution into a new execution (parent = this one)',
    request: {params: idParam, body: {content: {'application/json': {schema: replayExecutionBodySchema}}, required: true}},
    responses: {201: json(executionSchema, 'The new execution; replay_source has the counts and replay_batch_id'), ...errors(400, 404, 409, 422, 429)},
  }), async (c) => {
    const body = c.req.valid('json')
    const {execution} = await replays.replayExecution(c.req.valid('param').id, {
      fromStage: body.from_stage, toRoute: body.to_route, configId: body.config_id, tag: body.tag, createdBy: c.get('identity')?.user ?? null,
    })
    return c.json(toExecutionJson(await executions.get(execution.id)), 201)
  })

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/executions/{id}/replays`, tags: ['executions', 'replay'], summary: 'The replays of an execution, newest first',
    request: {params: idParam, query: z.object(pageQuery)}, responses: {200: json(replayListSchema), ...errors(404, 422)},
  }), async (c) => {
    const {items, ...rest} = await replays.list(c.req.valid('param').id, c.req.valid('query'))
    return c.json(serialise({replays: items.map((item) => toExecutionJson(item as never)), ...rest}), 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${API_PREFIX}/replay`, tags: ['replay'],
    summary: 'Detached replay: one execution\'s stage artefacts onto a route of the same or another config',
    request: {body: {content: {'application/json': {schema: detachedReplayBodySchema}}, required: true}},
    responses: {201: json(replayResultSchema, 'Published; the new execution consumes them'), ...errors(400, 404, 409, 422, 429)},
  }), async (c) => {
    const body = c.req.valid('json')
    const summary = await replays.replayDetached({
      fromExecutionId: body.from_execution_id, fromStage: body.from_stage, fromPath: body.from_path, toRoute: body.to_route,
      configId: body.config_id, createdBy: c.get('identity')?.user ?? null,
    })
    return c.json(summary as z.infer<typeof replayResultSchema>, 201)
  })
}
