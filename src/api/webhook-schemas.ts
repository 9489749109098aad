import {z} from '@hono/zod-openapi'

import {WEBHOOK_EVENT_TYPES} from '../webhooks/webhook-types.js'
import {anyObject} from './schemas.js'

/**
 * Webhook requests and resources of the HTTP API (docs/reference/server.md, "Webhooks"), shared by the
 * server routes and (as types) the thin client, like `schemas.ts`.
 */

export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES)
export const webhookFiltersSchema = z.object({
  config_id: z.string().uuid().optional(),
  execution_id: z.string().uuid().optional(),
  route_id: z.string().min(1).max(200).optional(),
  adapter_name: z.string().min(1).max(200).optional(),
}).strict().openapi('WebhookFilters')

export const webhookSubscriptionSchema = z.object({
  id: z.string(), url: z.string(), event_types: z.array(webhookEventTypeSchema), filters: webhookFiltersSchema, description: z.string().nullable(),
  active: z.boolean(), created_by: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
}).openapi('WebhookSubscription')
export const createdWebhookSchema = webhookSubscriptionSchema.extend({
  secret: z.string().optional().openapi({description: 'The generated signing secret: returned here once, never again (absent when the request gave one)'}),
}).openapi('CreatedWebhookSubscription')

export const webhookAttemptSchema = z.object({
  attempt: z.number(), started_at: z.string(), duration_ms: z.number(),
  status: z.enum(['succeeded', 'http_error', 'timeout', 'network_error', 'refused', 'interrupted']),
  response_code: z.number().nullable(), response_excerpt: z.string().nullable(), error: z.string().nullable(),
})
export const webhookDeliveryStatusSchema = z.enum(['pending', 'delivering', 'succeeded', 'failed', 'dead'])
export const webhookDeliverySchema = z.object({
  id: z.string().openapi({description: 'The X-Factflow-Delivery idempotency key'}), subscription_id: z.string(), event_id: z.string(), event_type: z.string(),
  status: webhookDeliveryStatusSchema, attempts: z.number(), next_attempt_at: z.string().nullable(), last_response_code: z.number().nullable(),
  last_error: z.string().nullable(), is_test: z.boolean(), created_at: z.string(), completed_at: z.string().nullable(),
  payload: anyObject, attempt_log: z.array(webhookAttemptSchema),
}).openapi('WebhookDelivery')

const url = z.string().min(1).max(2048).openapi({description: 'http(s) target; loopback, private and link-local addresses are refused unless the settings allow them'})
const secret = z.string().min(16).max(200).openapi({description: 'HMAC key of the signatures (16..200 characters); generated when absent'})
export const createWebhookBodySchema = z.object({
  url, event_types: z.array(webhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length), filters: webhookFiltersSchema.optional(), secret: secret.optional(),
  description: z.string().max(2000).optional(), active: z.boolean().optional(),
}).strict().openapi('CreateWebhook')
export const updateWebhookBodySchema = z.object({
  url: url.optional(), event_types: z.array(webhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(), filters: webhookFiltersSchema.optional(),
  secret: secret.optional(), description: z.string().max(2000).nullable().optional(), active: z.boolean().optional(),
}).strict().refine((body) => Object.keys(body).length > 0, 'Give at least one field to change').openapi('UpdateWebhook')
export const webhookListSchema = z.object({webhooks: z.array(webhookSubscriptionSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})
export const webhookDeliveryListSchema = z.object({deliveries: z.array(webhookDeliverySchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})

export type WebhookSubscriptionResource = z.infer<typeof webhookSubscriptionSchema>
export type WebhookDeliveryResource = z.infer<typeof webhookDeliverySchema>
export type CreateWebhookBody = z.infer<typeof createWebhookBodySchema>
export type UpdateWebhookBody = z.infer<typeof updateWebhookBodySchema>
