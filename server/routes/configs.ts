import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {UserInputError} from '../../src/errors/index.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, anyObject, errors, idParam, json, pageQuery, serialise} from './common.js'
import {configListItemSchema, configListSchema, configSchema, validationReportSchema} from '../../src/api/schemas.js'
import {executionSchema, toExecutionJson} from './execution-json.js'

const createBody = z.object({
  name: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, 'letters, digits, ".", "_", "-" and spaces'),
  config_yaml: z.string().min(1).max(1 << 20),
  description: z.string().max(2000).optional(),
}).strict()
const updateBody = z.object({config_yaml: z.string().min(1).max(1 << 20), description: z.string().max(2000).optional()}).strict()
const body = <T extends z.ZodType>(schema: T) => ({body: {content: {'application/json': {schema}}, required: true}})

export function registerConfigRoutes(app: OpenAPIHono<AppEnv>, {configs, executions}: AppServices) {
  const base = `${API_PREFIX}/configs`
  const identity = (c: {get(key: 'identity'): {user: string} | undefined}) => c.get('identity')?.user ?? null

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['configs'], summary: 'List configs',
    request: {query: z.object({...pageQuery, active: z.enum(['true', 'false', 'all']).default('true')})},
    responses: {200: json(configListSchema), ...errors(422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const page = await configs.list({limit: q.limit, offset: q.offset, active: q.active === 'all' ? 'all' : q.active === 'true'})
    const {items, ...rest} = page
    return c.json(serialise({configs: items as unknown as Array<z.infer<typeof configListItemSchema>>, ...rest}), 200)
  })

  app.openapi(createRoute({
    method: 'post', path: base, tags: ['configs'], summary: 'Store a config (saved even if invalid, with its report)',
    request: body(createBody), responses: {201: json(configSchema, 'Created'), ...errors(400, 409, 422)},
  }), async (c) => c.json(serialise(await configs.create(c.req.valid('json'), identity(c))), 201))

  app.openapi(createRoute({
    method: 'post', path: `${base}/validate`, tags: ['configs'], summary: 'Validate YAML (always 200 with the report)',
    request: body(z.object({config_yaml: z.string().max(1 << 20)}).strict()), responses: {200: json(validationReportSchema), ...errors(422)},
  }), async (c) => c.json(await configs.validate(c.req.valid('json').config_yaml), 200))

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}`, tags: ['configs'], summary: 'A config with its YAML and today\'s report',
    request: {params: idParam}, responses: {200: json(configSchema), ...errors(404)},
  }), async (c) => c.json(serialise(await configs.get(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'put', path: `${base}/{id}`, tags: ['configs'], summary: 'A new version of a config',
    request: {params: idParam, ...body(updateBody)}, responses: {200: json(configSchema), ...errors(400, 404, 422)},
  }), async (c) => c.json(serialise(await configs.update(c.req.valid('param').id, c.req.valid('json'), identity(c))), 200))

  app.openapi(createRoute({
    method: 'delete', path: `${base}/{id}`, tags: ['configs'], summary: 'Deactivate a config',
    request: {params: idParam}, responses: {204: {description: 'Deactivated'}, ...errors(404)},
  }), async (c) => {
    await configs.deactivate(c.req.valid('param').id)
    return c.body(null, 204)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}/versions`, tags: ['configs'], summary: 'Every version of a config, newest first',
    request: {params: idParam}, responses: {200: json(z.object({versions: z.array(anyObject)})), ...errors(404)},
  }), async (c) => c.json(serialise({versions: await configs.versions(c.req.valid('param').id)}), 200))

  app.openapi(createRoute({
    method: 'post', path: `${base}/{id}/run`, tags: ['configs'], summary: 'Run a config (body: init payload overrides)',
    request: {
      params: idParam,
      query: z.object({tag: z.string().min(1).max(200).optional(), skip_init_message: z.enum(['true', 'false']).optional()}),
    },
    responses: {201: json(executionSchema, 'Started'), ...errors(400, 404, 409, 422, 429)},
  }), async (c) => {
    const {tag, skip_init_message: skip} = c.req.valid('query')
    const text = await c.req.text()
    const initPayload = text.trim() === '' ? undefined : parseObject(text)
    const execution = await configs.run(c.req.valid('param').id, {
      tag, skipInitMessage: skip === 'true', initPayload, createdBy: identity(c),
    })
    return c.json(toExecutionJson(await executions.get(execution.id)), 201)
  })
}

/** The optional init payload body: a JSON object or nothing. */
function parseObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UserInputError('REQUEST_INVALID', 'The body is not JSON.', {hint: 'Send a JSON object of init payload overrides, or no body.'})
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserInputError('REQUEST_INVALID', 'The body must be a JSON object of init payload overrides.')
  }
  return value as Record<string, unknown>
}
