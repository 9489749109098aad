import {v7 as uuidv7} from 'uuid'

import type {WebhookSettings} from '../config/app-settings.js'
import {describeError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {NetworkPolicy} from '../network/address-policy.js'
import type {EventOrigin} from '../runtime/execution-manager.js'
import type {Runtime} from '../runtime/runtime.js'
import {storageWebhookEvent, webhookEventOf} from './webhook-events.js'
import {type AttemptOutcome, type ClaimedDelivery, createWebhookRepository, type WebhookRepository} from './webhook-repository.js'
import {sendWebhook, type WebhookAttemptResult} from './webhook-sender.js'
import {signWebhook} from './webhook-signature.js'
import {matchesFilters, type WebhookEvent, type WebhookEventType, type WebhookSubscription} from './webhook-types.js'

export interface WebhookDispatcherOptions {
  settings: WebhookSettings
  network: NetworkPolicy
  /** Deliveries sent at once (default 8). */
  concurrency?: number
}

/** How long the active subscriptions are cached for event matching (writes through the service refresh it at once). */
const SUBSCRIPTION_CACHE_MS = 5000

/**
 * The webhook dispatcher of docs/reference/server.md: turns execution and storage events into queued
 * deliveries (rows of `webhook_deliveries`), and a poller that claims due deliveries, signs and
 * sends them, stores every attempt and schedules retries (`settings.retry_schedule_ms`, then
 * dead). The queue is the database, so a restart loses nothing that was queued: the next process
 * polls it again. Events that happen while the database is unreachable are logged and dropped.
 */
export class WebhookDispatcher {
  private readonly log: Logger
  private subscriptions: {at: number; list: Promise<Array<Pick<WebhookSubscription, 'id' | 'event_types' | 'filters'>>>} | undefined
  private readonly origins = new Map<string, EventOrigin>()
  private readonly unsubscribe: Array<() => void> = []
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined
  private running = false
  private wakeRequested = false
  private readonly inFlight = new Set<Promise<unknown>>()

  constructor(private readonly runtime: Runtime, readonly options: WebhookDispatcherOptions) {
    this.log = runtime.logger.child({component: 'webhooks'})
  }

  private async repository(): Promise<WebhookRepository> {
    return createWebhookRepository((await this.runtime.store()).db)
  }

  /** Listens to every execution's events and to storage, and starts polling the queue. */
  start(): void {
    if (this.running) return
    this.running = true
    this.unsubscribe.push(this.runtime.executions.onEvent((logged, origin) => {
      if (logged.event === 'execution.started') this.origins.set(origin.id, origin)
      const event = webhookEventOf(logged, origin)
      if (logged.event.startsWith('execution.') && logged.event !== 'execution.started') this.origins.delete(origin.id)
      if (event) this.track(this.publish(event))
    }))
    this.unsubscribe.push(this.runtime.storage.onCreated((created) => {
      const executionId = created.metadata.execution_id
      this.track(this.publish(storageWebhookEvent(created, executionId === undefined ? undefined : this.origins.get(executionId))))
    }))
    this.schedule(0)
  }

  /** Forgets the cached subscriptions (after a create, update or delete). */
  invalidateSubscriptions(): void {
    this.subscriptions = undefined
  }

  /** Queues `event` for every active subscription that takes its type and passes its filters. Returns how many deliveries were queued. */
  async publish(event: WebhookEvent): Promise<number> {
    try {
      const now = Date.now()
      if (!this.subscriptions || now - this.subscriptions.at > SUBSCRIPTION_CACHE_MS) {
        this.subscriptions = {at: now, list: this.repository().then((r) => r.activeSubscriptions())}
      }
      const matching = (await this.subscriptions.list)
        .filter((s) => s.event_types.includes(event.event_type as WebhookEventType) && matchesFilters(s.filters, event.scope))
      if (matching.length === 0) return 0
      const queued = await (await this.repository()).enqueue(event, matching.map((s) => s.id), matching.map(() => uuidv7()))
      this.wake()
      return queued
    } catch (error) {
      this.subscriptions = undefined
      this.log.warn({err: error, event_type: event.event_type, event_id: event.id}, 'a webhook event could not be queued')
      return 0
    }
  }

  /** Polls now rather than at the next interval (a delivery was queued or requeued). */
  wake(): void {
    if (!this.running) return
    if (this.polling) this.wakeRequested = true
    else this.schedule(0)
  }

  /**
   * Sends one attempt of a claimed delivery and records it: success, a retry after the next wait
   * of the schedule, or the end (`failed` for an answer not worth retrying, `dead` when the
   * schedule ran out). `retries: false` (test deliveries) makes every failure final.
   */
  async attempt(delivery: ClaimedDelivery, options: {retries?: boolean} = {}): Promise<WebhookAttemptResult> {
    if (delivery.interrupted && delivery.attempts > 1) await (await this.repository()).recordInterruptedAttempt(delivery.id, delivery.attempts - 1)
    const body = JSON.stringify(delivery.payload)
    const timestamp = String(Math.floor(Date.now() / 1000))
    const startedAt = new Date()
    const result = await sendWebhook({
      url: delivery.url, body, timeoutMs: this.options.settings.timeout_ms, policy: this.options.network,
      headers: {
        'X-Factflow-Event': delivery.event_type, 'X-Factflow-Delivery': delivery.id, 'X-Factflow-Timestamp': timestamp,
        'X-Factflow-Signature': signWebhook(delivery.secret, timestamp, body),
      },
    })
    const schedule = this.options.settings.retry_schedule_ms
    const outcome: AttemptOutcome = result.status === 'succeeded' ? {status: 'succeeded'}
      : !result.retryable || options.retries === false ? {status: 'failed'}
        : delivery.retries < schedule.length ? {status: 'pending', retryInMs: schedule[delivery.retries]!}
          : {status: 'dead'}
    this.log.debug({delivery_id: delivery.id, attempt: delivery.attempts, status: result.status, response_code: result.response_code, next: outcome.status}, 'webhook attempt')
    await (await this.repository()).recordAttempt(delivery.id, delivery.attempts, {...result, started_at: startedAt}, outcome)
    if (outcome.status === 'pending' && outcome.retryInMs < this.options.settings.poll_interval_ms) this.schedule(outcome.retryInMs)
    return result
  }

  /** The lease of a claim: one attempt's timeout with room to record it. */
  get leaseMs(): number {
    return this.options.settings.timeout_ms + 30_000
  }

  /** Stops polling and listening, and waits for attempts and queueing under way. */
  async close(): Promise<void> {
    this.running = false
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe()
    if (this.timer) clearTimeout(this.timer)
    await this.polling
    await Promise.allSettled([...this.inFlight])
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise)
    void promise.finally(() => this.inFlight.delete(promise))
  }

  private schedule(delayMs: number): void {
    if (!this.running) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.polling) {
        this.wakeRequested = true
        return
      }
      this.polling = this.poll().finally(() => {
        this.polling = undefined
        if (this.wakeRequested) {
          this.wakeRequested = false
          this.schedule(0)
        } else if (!this.timer) this.schedule(this.options.settings.poll_interval_ms)
      })
    }, delayMs)
    this.timer.unref()
  }

  private async poll(): Promise<void> {
    const concurrency = this.options.concurrency ?? 8
    try {
      const repository = await this.repository()
      for (;;) {
        if (!this.running) return
        const claimed = await repository.claimDue(concurrency, this.leaseMs)
        if (claimed.length === 0) return
        await Promise.all(claimed.map(async (delivery) => {
          const sending = this.attempt(delivery)
          this.track(sending)
          await sending.catch((error: unknown) => this.log.warn({err: error, delivery_id: delivery.id}, 'a webhook attempt could not be recorded'))
        }))
        if (claimed.length < concurrency) return
      }
    } catch (error) {
      this.log.warn({error: describeError(error)}, 'polling the webhook queue failed; trying again at the next interval')
    }
  }
}
