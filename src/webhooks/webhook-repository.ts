import type {Database} from '../db/types.js'
import {type Page, pageBounds, toPage} from '../db/paging.js'
import {isUuid} from '../db/uuid.js'
import type {
  WebhookAttempt, WebhookAttemptStatus, WebhookDelivery, WebhookDeliveryStatus, WebhookEvent, WebhookEventType, WebhookFilters,
  WebhookSubscription,
} from './webhook-types.js'

export interface NewSubscription {
  id: string
  url: string
  event_types: WebhookEventType[]
  filters: WebhookFilters
  secret: string
  description: string | null
  active: boolean
  created_by: string | null
}

export type SubscriptionChanges = Partial<Pick<NewSubscription, 'url' | 'event_types' | 'filters' | 'secret' | 'description' | 'active'>>

/** A delivery claimed for one attempt, with what sending it needs. */
export interface ClaimedDelivery {
  id: string
  subscription_id: string
  url: string
  secret: string
  event_type: string
  payload: Record<string, unknown>
  attempts: number
  retries: number
  /** The previous claim's lease ran out: the process sending that attempt stopped mid-way. */
  interrupted?: boolean
}

/** How an attempt leaves its delivery. */
export type AttemptOutcome =
  | {status: 'succeeded' | 'failed' | 'dead'}
  | {status: 'pending'; retryInMs: number}

export interface AttemptRecord {
  started_at: Date
  duration_ms: number
  status: WebhookAttemptStatus
  response_code: number | null
  response_excerpt: string | null
  error: string | null
}

const SUBSCRIPTION_COLUMNS = 'id, url, event_types, filters, description, active, created_by, created_at, updated_at'
const DELIVERY_COLUMNS = 'id, subscription_id, event_id, event_type, status, attempts, next_attempt_at, last_response_code, last_error, is_test, created_at, completed_at, payload'

type Row = Record<string, unknown>
const iso = (value: unknown): string | null => value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value)

function toSubscription(row: Row): WebhookSubscription {
  return {
    id: String(row.id), url: String(row.url), event_types: row.event_types as WebhookEventType[], filters: row.filters as WebhookFilters,
    description: (row.description as string | null) ?? null, active: Boolean(row.active), created_by: (row.created_by as string | null) ?? null,
    created_at: iso(row.created_at)!, updated_at: iso(row.updated_at)!,
  }
}

function toDelivery(row: Row, attempts: WebhookAttempt[]): WebhookDelivery {
  return {
    id: String(row.id), subscription_id: String(row.subscription_id), event_id: String(row.event_id), event_type: String(row.event_type),
    status: row.status as WebhookDeliveryStatus, attempts: Number(row.attempts), next_attempt_at: iso(row.next_attempt_at),
    last_response_code: row.last_response_code === null ? null : Number(row.last_response_code), last_error: (row.last_error as string | null) ?? null,
    is_test: Boolean(row.is_test), created_at: iso(row.created_at)!, completed_at: iso(row.completed_at), payload: row.payload as Record<string, unknown>,
    attempt_log: attempts,
  }
}

function toAttempt(row: Row): WebhookAttempt {
  return {
    attempt: Number(row.attempt), started_at: iso(row.started_at)!, duration_ms: Number(row.duration_ms), status: row.status as WebhookAttemptStatus,
    response_code: row.response_code === null ? null : Number(row.response_code), response_excerpt: (row.response_excerpt as string | null) ?? null,
    error: (row.error as string | null) ?? null,
  }
}

/**
 * The webhook tables (migrations/0009_webhooks.sql): subscriptions, the delivery queue and its
 * attempts. Ids that are not UUIDs find nothing (never a database error). The secret is read only
 * by `claimDue` and `secretOf`, the two paths that sign.
 */
export function createWebhookRepository(db: Database) {
  async function attemptsOf(ids: string[]): Promise<Map<string, WebhookAttempt[]>> {
    const byDelivery = new Map<string, WebhookAttempt[]>(ids.map((id) => [id, []]))
    if (ids.length === 0) return byDelivery
    const {rows} = await db.query<Row>(`SELECT * FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt`, [ids])
    for (const row of rows) byDelivery.get(String(row.delivery_id))?.push(toAttempt(row))
    return byDelivery
  }

  const repository = {
    async createSubscription(s: NewSubscription): Promise<WebhookSubscription> {
      const {rows} = await db.query<Row>(`INSERT INTO webhook_subscriptions (id, url, event_types, filters, secret, description, active, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.id, s.url, s.event_types, JSON.stringify(s.filters), s.secret, s.description, s.active, s.created_by])
      return toSubscription(rows[0]!)
    },

    async getSubscription(id: string): Promise<WebhookSubscription | undefined> {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<Row>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1`, [id])
      return rows[0] && toSubscription(rows[0])
    },

    async secretOf(id: string): Promise<string | undefined> {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<{secret: string}>('SELECT secret FROM webhook_subscriptions WHERE id = $1', [id])
      return rows[0]?.secret
    },

    async listSubscriptions(options: {limit?: number; offset?: number; active?: boolean}): Promise<Page<WebhookSubscription>> {
      const bounds = pageBounds(options)
      const active = options.active ?? null
      const [{rows}, count] = await Promise.all([
        db.query<Row>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE ($3::boolean IS NULL OR active = $3)
          ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, [bounds.limit, bounds.offset, active]),
        db.query<{n: number}>('SELECT count(*)::int AS n FROM webhook_subscriptions WHERE ($1::boolean IS NULL OR active = $1)', [active]),
      ])
      return toPage(rows.map(toSubscription), count.rows[0]!.n, bounds)
    },

    /** Active subscriptions, with the fields event matching needs. */
    async activeSubscriptions(): Promise<Array<Pick<WebhookSubscription, 'id' | 'event_types' | 'filters'>>> {
      const {rows} = await db.query<Row>('SELECT id, event_types, filters FROM webhook_subscriptions WHERE active')
      return rows.map((row) => ({id: String(row.id), event_types: row.event_types as WebhookEventType[], filters: row.filters as WebhookFilters}))
    },

    async updateSubscription(id: string, changes: SubscriptionChanges): Promise<WebhookSubscription | undefined> {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<Row>(`UPDATE webhook_subscriptions SET
          url = coalesce($2, url), event_types = coalesce($3, event_types), filters = coalesce($4::jsonb, filters),
          secret = coalesce($5, secret), description = CASE WHEN $6::boolean THEN $7 ELSE description END,
          active = coalesce($8, active), updated_at = now()
        WHERE id = $1 RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, changes.url ?? null, changes.event_types ?? null, changes.filters === undefined ? null : JSON.stringify(changes.filters),
        changes.secret ?? null, changes.description !== undefined, changes.description ?? null, changes.active ?? null])
      return rows[0] && toSubscription(rows[0])
    },

    /** Deletes a subscription with its deliveries and their attempts. */
    async deleteSubscription(id: string): Promise<boolean> {
      if (!isUuid(id)) return false
      return (await db.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id])).rowCount > 0
    },

    /** Queues `event` for each subscription (once per subscription and event id). Returns the deliveries made. */
    async enqueue(event: WebhookEvent, subscriptionIds: string[], deliveryIds: string[]): Promise<number> {
      if (subscriptionIds.length === 0) return 0
      const payload = JSON.stringify({id: event.id, event_type: event.event_type, created_at: event.created_at, data: event.data})
      const {rowCount} = await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, status, next_attempt_at)
        SELECT d, s, $3, $4, $5::jsonb, 'pending', now() FROM unnest($1::uuid[], $2::uuid[]) AS t(d, s)
        ON CONFLICT (subscription_id, event_id) DO NOTHING`, [deliveryIds, subscriptionIds, event.id, event.event_type, payload])
      return rowCount
    },

    /** A test delivery, claimed at once for its single attempt. */
    async createTestDelivery(id: string, subscriptionId: string, event: WebhookEvent, leaseMs: number): Promise<void> {
      const payload = JSON.stringify({id: event.id, event_type: event.event_type, created_at: event.created_at, data: event.data})
      await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, status, attempts, is_test, locked_until)
        VALUES ($1, $2, $3, $4, $5::jsonb, 'delivering', 1, true, now() + make_interval(secs => $6))`,
      [id, subscriptionId, event.id, event.event_type, payload, leaseMs / 1000])
    },

    /**
     * Claims up to `limit` due deliveries of active subscriptions for one attempt each, leased for
     * `leaseMs` (a claim whose process died is taken again once the lease ran out). `SKIP LOCKED`
     * lets several servers on one PostgreSQL database share the queue without taking a row twice.
     */
    async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
      const {rows} = await db.query<Row>(`WITH due AS (
          SELECT d.id, d.status = 'delivering' AS interrupted FROM webhook_deliveries d
           WHERE ((d.status = 'pending' AND d.next_attempt_at <= now()) OR (d.status = 'delivering' AND d.locked_until < now()))
             AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = d.subscription_id AND s.active)
           ORDER BY d.next_attempt_at NULLS FIRST LIMIT $1
           FOR UPDATE OF d SKIP LOCKED)
        UPDATE webhook_deliveries d SET status = 'delivering', attempts = d.attempts + 1, locked_until = now() + make_interval(secs => $2)
          FROM due, webhook_subscriptions s
         WHERE d.id = due.id AND s.id = d.subscription_id
        RETURNING d.id, d.subscription_id, s.url, s.secret, d.event_type, d.payload, d.attempts, d.retries, due.interrupted`, [limit, leaseMs / 1000])
      return rows.map((row) => ({
        id: String(row.id), subscription_id: String(row.subscription_id), url: String(row.url), secret: String(row.secret),
        event_type: String(row.event_type), payload: row.payload as Record<string, unknown>, attempts: Number(row.attempts), retries: Number(row.retries),
        interrupted: Boolean(row.interrupted),
      }))
    },

    /** Logs an attempt whose process stopped before it could record the answer (the receiver may have it: deliveries are at least once). */
    async recordInterruptedAttempt(id: string, attempt: number): Promise<void> {
      await db.query(`INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error)
        SELECT $1, $2, now(), 0, 'interrupted', 'the process sending this attempt stopped before recording its answer'
         WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1) ON CONFLICT DO NOTHING`, [id, attempt])
    },

    /**
     * Stores an attempt and moves its delivery on, in one transaction. Does nothing when the
     * delivery is no longer the one claimed (deleted meanwhile, or redelivered and claimed again).
     */
    async recordAttempt(id: string, attempt: number, record: AttemptRecord, outcome: AttemptOutcome): Promise<void> {
      await db.transaction(async (tx) => {
        const {rowCount} = await tx.query(`UPDATE webhook_deliveries SET status = $3, locked_until = NULL,
            retries = CASE WHEN $3 IN ('pending', 'dead') THEN retries + 1 ELSE retries END,
            next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + make_interval(secs => $4) ELSE NULL END,
            completed_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END,
            last_response_code = $5, last_error = $6
          WHERE id = $1 AND status = 'delivering' AND attempts = $2`,
        [id, attempt, outcome.status, outcome.status === 'pending' ? outcome.retryInMs / 1000 : 0, record.response_code, record.error])
        if (rowCount === 0) return
        await tx.query(`INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, response_code, response_excerpt, error)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [id, attempt, record.started_at, record.duration_ms, record.status, record.response_code, record.response_excerpt, record.error])
      })
    },

    async getDelivery(id: string): Promise<WebhookDelivery | undefined> {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<Row>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1`, [id])
      if (!rows[0]) return undefined
      return toDelivery(rows[0], (await attemptsOf([id])).get(id)!)
    },

    async listDeliveries(subscriptionId: string, options: {limit?: number; offset?: number; status?: WebhookDeliveryStatus}): Promise<Page<WebhookDelivery>> {
      const bounds = pageBounds(options)
      const status = options.status ?? null
      const [{rows}, count] = await Promise.all([
        db.query<Row>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 AND ($4::text IS NULL OR status = $4)
          ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [subscriptionId, bounds.limit, bounds.offset, status]),
        db.query<{n: number}>('SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2)', [subscriptionId, status]),
      ])
      const attempts = await attemptsOf(rows.map((row) => String(row.id)))
      return toPage(rows.map((row) => toDelivery(row, attempts.get(String(row.id))!)), count.rows[0]!.n, bounds)
    },

    /**
     * Queues an ended delivery again, due now, with the retry schedule from its start (same id:
     * receivers deduplicate on it). Returns undefined when absent, `busy` when still queued or sending.
     */
    async redeliver(id: string): Promise<'requeued' | 'busy' | undefined> {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<{requeued: boolean}>(`WITH target AS (SELECT id, status FROM webhook_deliveries WHERE id = $1),
          updated AS (UPDATE webhook_deliveries d SET status = 'pending', retries = 0, next_attempt_at = now(), completed_at = NULL
                       FROM target WHERE d.id = target.id AND target.status IN ('succeeded', 'failed', 'dead') RETURNING d.id)
        SELECT EXISTS (SELECT 1 FROM updated) AS requeued FROM target`, [id])
      if (rows[0] === undefined) return undefined
      return rows[0].requeued ? 'requeued' : 'busy'
    },
  }
  return repository
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>
