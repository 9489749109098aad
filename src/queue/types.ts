/**
 * The broker contract (docs/reference/engine.md, "Queues and brokers"). Every provider (memory, amqp, stomp,
 * pulsar) implements it and passes `test/contracts/queue-provider.contract.ts`.
 *
 * Destinations are written `/queue/<name>` (point-to-point: each message to one consumer of a
 * subscription) or `/topic/<name>` (broadcast to every subscription). Providers map them to their
 * legal form.
 */
export type Outcome = 'ack' | 'requeue' | 'reject'

export interface Delivery {
  readonly destination: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  /** True when this message was delivered before and not acked (crash, requeue, subscription close). */
  readonly redelivered: boolean
  /** 1 on the first delivery; counts redeliveries where the broker tells. */
  readonly deliveryCount: number
}

/**
 * Decides the fate of one delivery: `ack` (done, removed), `requeue` (nack with requeue: delivered
 * again later), `reject` (moved to the subscription's `deadLetterDestination`, or dropped with a
 * warning when it has none). A handler that throws counts as `requeue`.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<Outcome>

export interface SubscribeOptions {
  /** Competing consumers share a subscription name; topics give each name its own copy. */
  subscription: string
  /** Deliveries handed out and not yet settled, at most. */
  prefetch: number
  deadLetterDestination?: string
}

export interface SubscriptionCloseOptions {
  /**
   * How long to wait for in-flight handlers before giving up on them (default: wait for all).
   * Messages whose handlers have not settled by then go back to the queue (redelivered) and those
   * handlers' late outcomes are ignored.
   */
  drainTimeoutMs?: number
}

export interface Subscription {
  /** Stop taking new deliveries; in-flight handlers finish. */
  pause(): void
  resume(): void
  /**
   * Stop, wait for in-flight handlers (their outcomes still apply), return unsettled messages to
   * the queue. Idempotent: a second call returns the same promise.
   */
  close(options?: SubscriptionCloseOptions): Promise<void>
}

export interface PublishItem {
  destination: string
  body: string
  headers?: Record<string, string>
}

export interface QueueProvider {
  readonly kind: 'memory' | 'amqp' | 'stomp' | 'pulsar'
  connect(): Promise<void>
  /** Resolves once the broker has accepted the message (confirm/receipt where the wire has one). */
  publish(destination: string, body: string, headers?: Record<string, string>): Promise<void>
  publishBatch(items: readonly PublishItem[]): Promise<void>
  subscribe(destination: string, options: SubscribeOptions, handler: DeliveryHandler): Promise<Subscription>
  /** Messages waiting (not yet delivered) on a queue, where the broker can tell; undefined otherwise. */
  depth?(destination: string): Promise<number | undefined>
  /** Delete a queue (scoped queues of a finished execution); a no-op where the broker cannot. */
  deleteQueue(destination: string): Promise<void>
  /**
   * Hears, once, that the broker stayed unreachable past the provider's reconnect deadline
   * (`QUEUE_BROKER_UNAVAILABLE`): publishes and subscriptions of this provider fail from then on.
   * Absent where there is no broker to lose (memory). Returns an unsubscribe function.
   */
  onUnavailable?(listener: (error: Error) => void): () => void
  /** Close every subscription (draining in-flight handlers), then the connection. */
  close(): Promise<void>
}

export function isTopic(destination: string): boolean {
  return destination.startsWith('/topic/')
}

/** `/queue/x` → `x`, `/topic/x` → `x`, other forms unchanged. */
export function destinationName(destination: string): string {
  return destination.replace(/^\/(queue|topic)\//, '')
}
