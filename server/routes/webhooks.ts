import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {DEFAULT_WEBHOOK_SETTINGS} from '../../src/config/app-settings.js'
import {createWebhookService} from '../../src/services/webhook-service.js'
import {WebhookDispatcher} from '../../src/webhooks/webhook-dispatcher.js'
import {WEBHOOK_EVENT_TYPES} from '../../src/webhooks/webhook-types.js'
import type {AppEnv, AppServices} from '../app.js'
import {API_PREFIX, anyObject, errors, idParam, json, pageQuery} from './common.js'

const eventType = z.enum(WEBHOOK_EVENT_TYPES)
const filtersSchema = z.object({
  config_id: z.string().uuid().optional(),
  execution_id: z.string().uuid().optional(),
  route_id: z.string().min(1).max(200).optional(),
  adapter_name: z.string().min(1).max(200).optional(),
}).strict().openapi('WebhookFilters')

const subscriptionSchema = z.object({
  id: z.string(), url: z.string(), event_types: z.array(eventType), filters: filtersSchema, description: z.string().nullable(),
  active: z.boolean(), created_by: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
}).openapi('WebhookSubscription')
const createdSchema = subscriptionSchema.extend({
  secret: z.string().optional().openapi({description: 'The generated signing secret: returned here once, never again (absent when the request gave one)'}),
}).openapi('CreatedWebhookSubscription')

const attemptSchema = z.object({
  attempt: z.number(), started_at: z.string(), duration_ms: z.number(),
  status: z.enum(['succeeded', 'http_error', 'timeout', 'network_error', 'refused', 'interrupted']),
  response_code: z.number().nullable(), response_excerpt: z.string().nullable(), error: z.string().nullable(),
})
const deliveryStatus = z.enum(['pending', 'delivering', 'succeeded', 'failed', 'dead'])
const deliverySchema = z.object({
  id: z.string().openapi({description: 'The X-Factflow-Delivery idempotency key'}), subscription_id: z.string(), event_id: z.string(), event_type: z.string(),
  status: deliveryStatus, attempts: z.number(), next_attempt_at: z.string().nullable(), last_response_code: z.number().nullable(),
  last_error: z.string().nullable(), is_test: z.boolean(), created_at: z.string(), completed_at: z.string().nullable(),
  payload: anyObject, attempt_log: z.array(attemptSchema),
}).openapi('WebhookDelivery')

const url = z.string().min(1).max(2048).openapi({description: 'http(s) target; loopback, private and link-local addresses are refused unless the settings allow them'})
const secret = z.string().min(16).max(200).openapi({description: 'HMAC key of the signatures (16..200 characters); generated when absent'})
const createBody = z.object({
  url, event_types: z.array(eventType).min(1).max(WEBHOOK_EVENT_TYPES.length), filters: filtersSchema.optional(), secret: secret.optional(),
  description: z.string().max(2000).optional(), active: z.boolean().optional(),
}).strict().openapi('CreateWebhook')
const updateBody = z.object({
  url: url.optional(), event_types: z.array(eventType).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(), filters: filtersSchema.optional(),
  secret: secret.optional(), description: z.string().max(2000).nullable().optional(), active: z.boolean().optional(),
}).strict().refine((body) => Object.keys(body).length > 0, 'Give at least one field to change').openapi('UpdateWebhook')

const page = {total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()}
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
    request: body(createBody), responses: {201: json(createdSchema, 'Created'), ...errors(400, 422)},
  }), async (c) => c.json(await webhooks.create({...c.req.valid('json'), createdBy: c.get('identity')?.user ?? null}), 201))

  app.openapi(createRoute({
    method: 'get', path: base, tags: ['webhooks'], summary: 'List subscriptions, newest first',
    request: {query: z.object({...pageQuery, active: z.enum(['true', 'false']).optional()})},
    responses: {200: json(z.object({webhooks: z.array(subscriptionSchema), ...page})), ...errors(422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await webhooks.list({limit: q.limit, offset: q.offset, active: q.active === undefined ? undefined : q.active === 'true'})
    return c.json({webhooks: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/{id}`, tags: ['webhooks'], summary: 'A subscription (without its secret)',
    request: {params: idParam}, responses: {200: json(subscriptionSchema), ...errors(404)},
  }), async (c) => c.json(await webhooks.get(c.req.valid('param').id), 200))

  app.openapi(createRoute({
    method: 'patch', path: `${base}/{id}`, tags: ['webhooks'], summary: 'Change a subscription: URL, event types, filters, secret, active',
    request: {params: idParam, ...body(updateBody)}, responses: {200: json(subscriptionSchema), ...errors(400, 404, 422)},
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
    request: {params: idParam, query: z.object({...pageQuery, status: deliveryStatus.optional()})},
    responses: {200: json(z.object({deliveries: z.array(deliverySchema), ...page})), ...errors(404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const {items, ...rest} = await webhooks.deliveries(c.req.valid('param').id, {limit: q.limit, offset: q.offset, status: q.status})
    return c.json({deliveries: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${base}/{id}/test`, tags: ['webhooks'], summary: 'Send a webhook.test event now: one attempt, its result in the answer and the log',
    request: {params: idParam}, responses: {200: json(deliverySchema), ...errors(404)},
  }), async (c) => c.json(await webhooks.test(c.req.valid('param').id), 200))

  app.openapi(createRoute({
    method: 'post', path: `${base}/deliveries/{id}/redeliver`, tags: ['webhooks'], summary: 'Queue an ended delivery again (same id), due now',
    request: {params: idParam}, responses: {202: json(deliverySchema, 'Queued'), ...errors(404, 409)},
  }), async (c) => c.json(await webhooks.redeliver(c.req.valid('param').id), 202))
}
