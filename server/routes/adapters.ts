import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {describeAdapterConfig} from '../../src/config/json-schema.js'
import {NotFoundError} from '../../src/errors/index.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, anyObject, errors, json} from './common.js'

const adapterSummary = z.object({type: z.string(), family: z.string(), summary: z.string(), implemented: z.boolean()}).openapi('AdapterSummary')

export function registerAdapterRoutes(app: OpenAPIHono<AppEnv>, {runtime}: AppServices) {
  const base = `${API_PREFIX}/adapters`
  app.openapi(createRoute({
    method: 'get', path: base, tags: ['adapters'], summary: 'The adapter catalog',
    responses: {200: json(z.object({adapters: z.array(adapterSummary)}))},
  }), (c) => c.json({
    adapters: runtime.registry.list().map((d) => ({type: d.type, family: d.family, summary: d.summary, implemented: d.load !== undefined})),
  }, 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/{type}`, tags: ['adapters'], summary: 'An adapter with its config JSON Schema',
    request: {params: z.object({type: z.string().min(1).max(100).openapi({param: {name: 'type', in: 'path'}})})},
    responses: {200: json(anyObject), ...errors(404)},
  }), (c) => {
    const {type} = c.req.valid('param')
    const definition = runtime.registry.get(type)
    if (!definition) throw new NotFoundError('ADAPTER_NOT_FOUND', `No adapter type ${JSON.stringify(type)}.`, {hint: 'GET /adapters lists them.'})
    const {schema, fields} = describeAdapterConfig(definition)
    return c.json({
      type: definition.type, family: definition.family, summary: definition.summary, io: definition.io ?? null,
      implemented: definition.load !== undefined, config_schema: schema, fields, example: definition.example ?? null,
    }, 200)
  })
}
