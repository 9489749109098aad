import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {describeError} from '../../src/errors/index.js'
import {checkHealth, mqDiagnostic} from '../../src/services/system-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {healthSchema} from '../../src/api/schemas.js'
import {API_PREFIX, anyObject, json} from './common.js'

export function registerSystemRoutes(app: OpenAPIHono<AppEnv>, {runtime, options}: AppServices) {
  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/system/health`, tags: ['system'], summary: 'Health of each component',
    request: {query: z.object({debug: z.enum(['true', 'false']).optional()})},
    responses: {200: json(healthSchema), 503: json(healthSchema, 'Unhealthy')},
  }), async (c) => {
    const report = await checkHealth(runtime, {debug: c.req.valid('query').debug === 'true'})
    return c.json({...report, version: options.version}, report.status === 'unhealthy' ? 503 : 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/system/info`, tags: ['system'], summary: 'Version, provider kinds and limits',
    responses: {200: json(anyObject)},
  }), async (c) => {
    const profiles = await runtime.llm.profiles().catch(() => new Map())
    return c.json({
      version: options.version,
      queue: {provider: runtime.settings.queueUrl.split(':')[0]},
      storage: {provider: runtime.storage.uri.split(':')[0]},
      database: {kind: runtime.settings.databaseUrl.startsWith('postgres') ? 'postgres' : 'pglite', location: runtime.databaseLocation},
      llm_profiles: [...profiles.values()].map((p) => ({name: p.name, provider_type: p.provider_type, model: p.model})),
      limits: {max_concurrent_executions: runtime.executions.limit, running_executions: runtime.executions.list().length},
    }, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${API_PREFIX}/system/mq-diagnostic`, tags: ['system'], summary: 'Publish/subscribe round trip through the broker',
    responses: {200: json(anyObject)},
  }), async (c) => {
    try {
      return c.json(await mqDiagnostic(runtime), 200)
    } catch (error) {
      return c.json({ok: false, error: describeError(error)}, 200)
    }
  })
}
