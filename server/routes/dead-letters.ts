import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {deadLetterPageSchema, deadLetterSchema, redriveResultSchema} from '../../src/api/dead-letter-schemas.js'
import type {DeadLetterRecord} from '../../src/executions/dead-letter-repository.js'
import {createDeadLetterService, type RedriveResult} from '../../src/services/dead-letter-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, errors, idParam, json, pageQuery, serialise} from './common.js'

const listSchema = deadLetterPageSchema
const redriveSchema = redriveResultSchema
const text = z.string().min(1).max(200)
const listQuery = {
  ...pageQuery,
  route_id: text.optional(),
  include_redriven: z.enum(['true', 'false']).default('true'),
}

const letterJson = (letter: DeadLetterRecord) => serialise(letter) as unknown as z.infer<typeof deadLetterSchema>
const redriveJson = (result: RedriveResult) => ({
  execution_id: result.execution_id, redriven: result.redriven.length, dead_letter_ids: result.redriven.map((l) => l.id), mode: result.mode,
})

export function registerDeadLetterRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const deadLetters = createDeadLetterService(runtime)
  const base = `${API_PREFIX}/dlq`
  const list = async (q: {limit: number; offset: number; route_id?: string; include_redriven: 'true' | 'false'}, executionId?: string) => {
    const {items, ...rest} = await deadLetters.list({...q, execution_id: executionId, include_redriven: q.include_redriven === 'true'})
    return {dead_letters: items.map(letterJson), ...rest}
  }

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['dlq'], summary: 'Dead letters, oldest first',
    request: {query: z.object({...listQuery, execution_id: text.optional().openapi({description: 'execution id or tag'})})},
    responses: {200: json(listSchema), ...errors(400, 404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    return c.json(await list(q, q.execution_id), 200)
  })

  // Before `/dlq/{id}/…`: `redrive` is not an id.
  app.openapi(createRoute({
    method: 'post', path: `${base}/redrive`, tags: ['dlq'], summary: 'Redrive every dead letter of an execution (and route) not redriven yet',
    request: {body: {content: {'application/json': {schema: z.object({execution_id: text.openapi({description: 'execution id or tag'}), route_id: text.optional()}).strict()}}, required: true}},
    responses: {200: json(redriveSchema), ...errors(400, 404, 409, 422, 429)},
  }), async (c) => c.json(redriveJson(await deadLetters.redriveAll(c.req.valid('json'))), 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}`, tags: ['dlq'], summary: 'A dead letter: error, attempts, stage and payload',
    request: {params: idParam}, responses: {200: json(deadLetterSchema), ...errors(404)},
  }), async (c) => c.json(letterJson(await deadLetters.get(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'post', path: `${base}/{id}/redrive`, tags: ['dlq'], summary: 'Put a dead letter\'s message back on its route\'s queue',
    request: {params: idParam}, responses: {200: json(redriveSchema), ...errors(400, 404, 409, 429)},
  }), async (c) => c.json(redriveJson(await deadLetters.redriveOne(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/executions/{id}/dlq`, tags: ['executions', 'dlq'], summary: 'The execution\'s dead letters',
    request: {params: idParam, query: z.object(listQuery)}, responses: {200: json(listSchema), ...errors(404, 422)},
  }), async (c) => c.json(await list(c.req.valid('query'), c.req.valid('param').id), 200))
}
