import {OpenAPIHono} from '@hono/zod-openapi'
import {bodyLimit} from 'hono/body-limit'
import {cors} from 'hono/cors'

import type {Runtime} from '../src/runtime/runtime.js'
import type {WebhookDispatcher} from '../src/webhooks/webhook-dispatcher.js'
import {createConfigService} from '../src/services/config-service.js'
import {createExecutionService} from '../src/services/execution-service.js'
import {errorBody, errorHandler, validationErrorResponse} from './errors.js'
import {type AuthSettings, identityMiddleware, type IdentityEnv} from './identity.js'
import {registerAdapterRoutes} from './routes/adapters.js'
import {registerChatRoutes} from './routes/chat.js'
import {API_PREFIX} from './routes/common.js'
import {registerConfigRoutes} from './routes/configs.js'
import {registerDeadLetterRoutes} from './routes/dead-letters.js'
import {registerExecutionRoutes} from './routes/executions.js'
import {registerLineageRoutes} from './routes/lineage.js'
import {registerPipelineRoutes} from './routes/pipelines.js'
import {registerReplayRoutes} from './routes/replay.js'
import {registerSearchRoutes} from './routes/search.js'
import {registerStorageRoutes} from './routes/storage.js'
import {registerSystemRoutes} from './routes/system.js'
import {registerWebhookRoutes} from './routes/webhooks.js'
import {webAssets} from './web-assets.js'

export interface AppOptions {
  version: string
  auth?: AuthSettings
  /** Allowed CORS origins (none by default). */
  corsOrigins?: readonly string[]
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number
  /** SSE heartbeat interval (default 15 s; tests shorten it). */
  heartbeatMs?: number
  /** Queues and sends webhook deliveries; `factflow serve` starts one (without it, subscriptions and test deliveries work, events are not delivered). */
  webhookDispatcher?: WebhookDispatcher
  /** The built browser app (dist/web) served at `/` (none: no web view). */
  webRoot?: string
}

export type AppEnv = IdentityEnv

/** What every route file gets: the runtime and the services built on it. */
export interface AppServices {
  runtime: Runtime
  configs: ReturnType<typeof createConfigService>
  executions: ReturnType<typeof createExecutionService>
  options: AppOptions
}

export {API_PREFIX} from './routes/common.js'

/**
 * The HTTP app (docs/reference/server.md) over a runtime: routes parse the request, call a service, and
 * serialise. Socketless tests call `app.request()`; `factflow serve` hands it to @hono/node-server.
 */
export function createApp(runtime: Runtime, options: AppOptions) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return validationErrorResponse(c, result.error.issues, result.target)
      return undefined
    },
  })
  app.onError(errorHandler(runtime.logger))
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `No endpoint ${c.req.method} ${c.req.path}.`, {hint: 'See /openapi.json for the API.'}), 404))
  if (options.corsOrigins && options.corsOrigins.length > 0) app.use('*', cors({origin: [...options.corsOrigins]}))
  app.use(`${API_PREFIX}/*`, bodyLimit({
    maxSize: options.maxBodyBytes ?? 1 << 20,
    onError: (c) => c.json(errorBody('REQUEST_TOO_LARGE', `The request body is over ${options.maxBodyBytes ?? 1 << 20} bytes.`), 413),
  }))
  app.use(`${API_PREFIX}/*`, identityMiddleware(options.auth ?? {required: false, userHeader: 'X-Forwarded-User', trustedProxies: []}))

  const services: AppServices = {runtime, configs: createConfigService(runtime), executions: createExecutionService(runtime), options}
  registerSystemRoutes(app, services)
  registerConfigRoutes(app, services)
  registerExecutionRoutes(app, services)
  registerReplayRoutes(app, services)
  registerPipelineRoutes(app, services)
  registerAdapterRoutes(app, services)
  registerLineageRoutes(app, services)
  registerDeadLetterRoutes(app, services)
  registerStorageRoutes(app, services)
  registerSearchRoutes(app, services)
  registerWebhookRoutes(app, services)
  registerChatRoutes(app, services)

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {title: 'factflow', version: options.version, description: 'The factflow server API (docs/reference/server.md).'},
  })
  app.get('/docs', (c) => c.html(DOCS_PAGE))
  // After every API route: the app's files and its page paths; /api/… never falls through to the page.
  if (options.webRoot !== undefined) app.use('*', webAssets({root: options.webRoot}))
  return app
}

export type App = ReturnType<typeof createApp>

// A plain page (no CDN: the machine may be offline) listing the operations of /openapi.json.
const DOCS_PAGE = `<!doctype html><meta charset="utf-8"><title>factflow API</title>
<style>body{font:14px system-ui;margin:2em;max-width:70em}code{background:#eee;padding:0 .3em}td{padding:.2em .8em;vertical-align:top}</style>
<h1>factflow API</h1><p>The OpenAPI 3.1 document: <a href="/openapi.json"><code>/openapi.json</code></a></p><table id="ops"></table>
<script>fetch('/openapi.json').then(r=>r.json()).then(d=>{const t=document.getElementById('ops');
for(const [p,ops] of Object.entries(d.paths))for(const [m,o] of Object.entries(ops)){const r=t.insertRow();
r.insertCell().innerHTML='<code>'+m.toUpperCase()+'</code>';r.insertCell().innerHTML='<code>'+p+'</code>';r.insertCell().textContent=o.summary||''}})</script>`
