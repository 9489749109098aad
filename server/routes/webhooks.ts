import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {DEFAULT_WEBHOOK_SETTINGS} from '../../src/config/app-settings.js'
import {createWebhookService} from '../../src/services/webhook-service.js'
import {WebhookDispatcher} from '../../src/webhooks/webhook-dispatcher.js'
import {
  createdWebhookSchema, createWebhookBodySchema, updateWebhookBodySchema, webhookDeliveryListSchema, webhookDeliverySchema,
  webhookDeliveryStatusSchema, webhookListSchema, webhookSubscriptionSchema,
} from '../../src/api/webhook-schemas.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, errors, idParam, json, pageQuery} from './common.js'

const body = <T extends z.ZodType>(schema: T) => ({body: {content: {'application/json': {schema}}, required: true}})

export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>, {runtime, options}: AppServices) {
  // Without a dispatcher from the server (socketless tests), one that never polls: subscriptions and test deliveries still work.
  const dispatcher = options.webhookDispatcher ?? new WebhookDispatcher(runtime, {
    settings: DEFAULT_WEBHOOK_SETTINGS, network: {allowPrivate: false, allowLinkLocal: false},
  })
  const webhooks = createWebhookService(runtime, dispatcher)
  const base = `${API_PREFIX}/webhooks`

  app.openapi(createRoute({
    method: 'post', path: base, tags: ['webhooks'], summary: 'Subscribe a URL to event types (the secret is returned once, when generated)',
    request: body(createWebhookBodySchema), responses: {201: json(createdWebhookSchema, 'Created'), ...errors(400, 422)},
  }), async (c) => c.json(await webhooks.create({...c.req.valid('json'), createdBy: c.get('identity')?.user ?? null}), 201))

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['webhooks'], summary: 'List subscriptions, newest first',
    request: {query: z.object({...pageQuery, active: z.enum(['true', 'false']).optional()})},
    responses: {200: json(webhookListSchema), ...errors(422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await webhooks.list({limit: q.limit, offset: q.offset, active: q.active === undefined ? undefined : q.active === 'true'})
    return c.json({webhooks: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}`, tags: ['webhooks'], summary: 'A subscription (without its secret)',
    request: {params: idParam}, responses: {200: json(webhookSubscriptionSchema), ...errors(404)},
  }), async (c) => c.json(await webhooks.get(c.req.valid('param').id), 200))

  app.openapi(createRoute({
    method: 'patch', path: `${base}/{id}`, tags: ['webhooks'], summary: 'Change a subscription: URL, event types, filters, secret, active',
    request: {params: idParam, ...body(updateWebhookBodySchema)}, responses: {200: json(webhookSubscriptionSchema), ...errors(400, 404, 422)},
  }), async (c) => c.json(await webhooks.update(c.req.valid('param').id, c.req.valid('json')), 200))

  app.openapi(createRoute({
    method: 'delete', path: `${base}/{id}`, tags: ['webhooks'], summary: 'Delete a subscription with its delivery log',
    request: {params: idParam}, responses: {204: {description: 'Deleted'}, ...errors(404)},
  }), async (c) => {
    await webhooks.remove(c.req.valid('param').id)
    return c.body(null, 204)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}/deliveries`, tags: ['webhooks'], summary: 'A subscription\'s deliveries, newest first, each with every attempt',
    request: {params: idParam, query: z.object({...pageQuery, status: webhookDeliveryStatusSchema.optional()})},
    responses: {200: json(webhookDeliveryListSchema), ...errors(404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await webhooks.deliveries(c.req.valid('param').id, {limit: q.limit, offset: q.offset, status: q.status})
    return c.json({deliveries: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${base}/{id}/test`, tags: ['webhooks'], summary: 'Send a webhook.test event now: one attempt, its result in the answer and the log',
    request: {params: idParam}, responses: {200: json(webhookDeliverySchema), ...errors(404)},
  }), async (c) => c.json(await webhooks.test(c.req.valid('param').id), 200))

  app.openapi(createRoute({
    method: 'post', path: `${base}/deliveries/{id}/redeliver`, tags: ['webhooks'], summary: 'Queue an ended delivery again (same id), due now',
    request: {params: idParam}, responses: {202: json(webhookDeliverySchema, 'Queued'), ...errors(404, 409)},
  }), async (c) => c.json(await webhooks.redeliver(c.req.valid('param').id), 202))
}
