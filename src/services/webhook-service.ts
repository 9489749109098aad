import {v7 as uuidv7} from 'uuid'

import type {Page} from '../db/paging.js'
import {ConflictError, NotFoundError} from '../errors/index.js'
import {checkTargetUrl} from '../network/address-policy.js'
import type {Runtime} from '../runtime/runtime.js'
import type {WebhookDispatcher} from '../webhooks/webhook-dispatcher.js'
import {createWebhookRepository} from '../webhooks/webhook-repository.js'
import {newWebhookSecret} from '../webhooks/webhook-signature.js'
import {
  WEBHOOK_TEST_EVENT, type WebhookDelivery, type WebhookDeliveryStatus, type WebhookEventType, type WebhookFilters, type WebhookSubscription,
} from '../webhooks/webhook-types.js'

export interface CreateWebhookInput {
  url: string
  event_types: WebhookEventType[]
  filters?: WebhookFilters
  /** The HMAC key; when absent one is generated and returned once, in the creation's answer. */
  secret?: string
  description?: string
  active?: boolean
  createdBy?: string | null
}

export type UpdateWebhookInput = Partial<Pick<CreateWebhookInput, 'url' | 'event_types' | 'filters' | 'secret' | 'active'>> & {description?: string | null}

const notFound = (id: string) => new NotFoundError('WEBHOOK_NOT_FOUND', `No webhook subscription ${JSON.stringify(id.slice(0, 200))}.`, {hint: 'GET /api/v1/webhooks lists them.'})

/**
 * Webhook subscriptions and their deliveries for the API (docs/reference/server.md, "Webhooks"). Targets are
 * checked against the network policy when a subscription is created or its URL changed (and the
 * dispatcher checks again at every attempt, after DNS resolution). A subscription's secret is
 * returned only by `create`, and only when the server generated it.
 */
export function createWebhookService(runtime: Runtime, dispatcher: WebhookDispatcher) {
  const repository = async () => createWebhookRepository((await runtime.store()).db)
  const policy = dispatcher.options.network

  async function require(id: string): Promise<WebhookSubscription> {
    const found = await (await repository()).getSubscription(id)
    if (!found) throw notFound(id)
    return found
  }

  return {
    async create(input: CreateWebhookInput): Promise<WebhookSubscription & {secret?: string}> {
      const url = (await checkTargetUrl(input.url, policy)).toString()
      const secret = input.secret ?? newWebhookSecret()
      const created = await (await repository()).createSubscription({
        id: uuidv7(), url, event_types: [...new Set(input.event_types)], filters: input.filters ?? {}, secret,
        description: input.description ?? null, active: input.active ?? true, created_by: input.createdBy ?? null,
      })
      dispatcher.invalidateSubscriptions()
      return input.secret === undefined ? {...created, secret} : created
    },

    list: async (options: {limit?: number; offset?: number; active?: boolean}): Promise<Page<WebhookSubscription>> =>
      (await repository()).listSubscriptions(options),

    get: require,

    async update(id: string, input: UpdateWebhookInput): Promise<WebhookSubscription> {
      await require(id)
      const url = input.url === undefined ? undefined : (await checkTargetUrl(input.url, policy)).toString()
      const updated = await (await repository()).updateSubscription(id, {
        ...input, url, event_types: input.event_types && [...new Set(input.event_types)],
      })
      if (!updated) throw notFound(id)
      dispatcher.invalidateSubscriptions()
      return updated
    },

    async remove(id: string): Promise<void> {
      if (!await (await repository()).deleteSubscription(id)) throw notFound(id)
      dispatcher.invalidateSubscriptions()
    },

    async deliveries(id: string, options: {limit?: number; offset?: number; status?: WebhookDeliveryStatus}): Promise<Page<WebhookDelivery>> {
      await require(id)
      return (await repository()).listDeliveries(id, options)
    },

    /**
     * Sends a `webhook.test` event to the subscription now (active or not), one attempt, no
     * retries; stored in its delivery log like any other. Resolves to the delivery with its attempt.
     */
    async test(id: string): Promise<WebhookDelivery> {
      const subscription = await require(id)
      const repo = await repository()
      const secret = (await repo.secretOf(id))!
      const deliveryId = uuidv7()
      const event = {
        id: uuidv7(), event_type: WEBHOOK_TEST_EVENT, created_at: new Date().toISOString(), scope: {},
        data: {subscription_id: id, message: 'A test delivery from factflow: the signature verifies with this subscription\'s secret.'},
      } as const
      await repo.createTestDelivery(deliveryId, id, event, dispatcher.leaseMs)
      await dispatcher.attempt({
        id: deliveryId, subscription_id: id, url: subscription.url, secret, event_type: event.event_type, attempts: 1, retries: 0,
        payload: {id: event.id, event_type: event.event_type, created_at: event.created_at, data: event.data},
      }, {retries: false})
      return (await repo.getDelivery(deliveryId))!
    },

    /** Queues an ended delivery again (same id), due now. @throws ConflictError `WEBHOOK_DELIVERY_PENDING` while it is queued or being sent. */
    async redeliver(deliveryId: string): Promise<WebhookDelivery> {
      const repo = await repository()
      const result = await repo.redeliver(deliveryId)
      if (result === undefined) {
        throw new NotFoundError('WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery ${JSON.stringify(deliveryId.slice(0, 200))}.`)
      }
      if (result === 'busy') {
        throw new ConflictError('WEBHOOK_DELIVERY_PENDING', 'The delivery is still queued or being sent.', {hint: 'Wait for its attempt to end; its attempts are in GET /api/v1/webhooks/{id}/deliveries.'})
      }
      dispatcher.wake()
      return (await repo.getDelivery(deliveryId))!
    },
  }
}

export type WebhookService = ReturnType<typeof createWebhookService>
