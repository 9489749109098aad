import {describeError, isFactflowError, type FactflowError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import {brokerUnavailableError, providerClosedError} from './queue-errors.js'

export interface ReconnectPolicy {
  /** First wait after a drop, ms (doubles up to `maxDelayMs`, with ±20 % jitter). */
  initialDelayMs: number
  maxDelayMs: number
  /** How long the broker may stay away before the provider gives up for good, ms. */
  deadlineMs: number
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {initialDelayMs: 100, maxDelayMs: 5000, deadlineMs: 60_000}

export interface BrokerLinkOptions<C> {
  kind: string
  /** The broker URL without its password (messages, logs). */
  shown: string
  logger: Logger
  policy: ReconnectPolicy
  /** Opens one connection; rejects when the broker cannot be reached. */
  open(): Promise<C>
  /**
   * Runs on every new connection before it is handed out (`reconnect` false the first time):
   * re-create channels, re-subscribe. A rejection counts as a failed attempt.
   */
  setUp(connection: C, reconnect: boolean): Promise<void>
  /** Closes a connection; must not throw for one that is already gone. */
  dispose(connection: C): Promise<void>
}

type LinkState<C> =
  | {name: 'idle'}
  | {name: 'up'; connection: C}
  /** `first`: never up yet (`startPatiently`): a refusal ends it at once, success is not news. */
  | {name: 'down'; since: number; first?: boolean}
  | {name: 'failed'; error: FactflowError}
  | {name: 'closed'}

/**
 * One broker connection that heals itself (docs/reference/engine.md: "Providers reconnect with back-off after
 * a broker drop and re-subscribe; publishes during the gap wait (bounded) rather than fail").
 *
 * The provider reports a lost connection with `dropped`; the link then retries with exponential
 * back-off until `deadlineMs` after the drop. Meanwhile `current()` waits. Past the deadline the
 * link is `failed`: every waiter and later caller gets `QUEUE_BROKER_UNAVAILABLE`, and the
 * `onFailed` listeners hear it once (the orchestrator fails its executions).
 */
export class BrokerLink<C> {
  private state: LinkState<C> = {name: 'idle'}
  private waiters: {resolve(connection: C): void; reject(error: unknown): void}[] = []
  private readonly failedListeners = new Set<(error: FactflowError) => void>()
  private retryTimer: NodeJS.Timeout | undefined
  /** Bumped on every connection, so a stale `dropped` (from an old connection) is ignored. */
  private generation = 0

  constructor(private readonly options: BrokerLinkOptions<C>) {}

  get isUp(): boolean {
    return this.state.name === 'up'
  }

  get isClosed(): boolean {
    return this.state.name === 'closed'
  }

  /** The first connection: one attempt, its failure thrown as is (the caller codes it). */
  async connect(): Promise<void> {
    if (this.state.name === 'closed') throw providerClosedError(this.options.kind, 'connect')
    if (this.state.name !== 'idle') return
    const connection = await this.options.open()
    try {
      await this.options.setUp(connection, false)
    } catch (error) {
      await this.options.dispose(connection).catch(() => undefined)
      throw error
    }
    if (this.isClosed) {
      await this.options.dispose(connection).catch(() => undefined)
      throw providerClosedError(this.options.kind, 'connect')
    }
    this.becomeUp(connection)
  }

  /**
   * Connects in the background as after a drop: `current()` waits meanwhile, attempts back off,
   * and past the deadline the link fails. For connections opened while the provider runs (a new
   * topic's producer), so that one opened during an outage waits for the broker like the others.
   */
  startPatiently(): void {
    if (this.state.name !== 'idle') return
    this.state = {name: 'down', since: Date.now(), first: true}
    void this.attempt(1, this.state.since)
  }

  /** The live connection; waits while reconnecting; throws once failed or closed. */
  current(): Promise<C> {
    switch (this.state.name) {
      case 'up': return Promise.resolve(this.state.connection)
      case 'failed': return Promise.reject(this.state.error)
      case 'closed': return Promise.reject(providerClosedError(this.options.kind, 'publish'))
      default: return new Promise((resolve, reject) => this.waiters.push({resolve, reject}))
    }
  }

  /** The connection if it is up right now. */
  peek(): C | undefined {
    return this.state.name === 'up' ? this.state.connection : undefined
  }

  /** Hears, once, that the broker stayed away past the deadline. Returns an unsubscribe function. */
  onFailed(listener: (error: FactflowError) => void): () => void {
    this.failedListeners.add(listener)
    return () => this.failedListeners.delete(listener)
  }

  /** The provider saw `connection` die. Idempotent per connection. */
  dropped(connection: C, cause: unknown): void {
    if (this.state.name !== 'up' || this.state.connection !== connection) return
    this.options.logger.warn({broker: this.options.shown, err: describeError(cause)}, 'lost the broker connection; reconnecting')
    void this.options.dispose(connection).catch(() => undefined)
    this.state = {name: 'down', since: Date.now()}
    this.schedule(1)
  }

  /** Stops reconnecting, rejects waiters, closes the connection if there is one. */
  async close(): Promise<void> {
    const previous = this.state
    this.state = {name: 'closed'}
    clearTimeout(this.retryTimer)
    this.rejectWaiters(providerClosedError(this.options.kind, 'publish'))
    if (previous.name === 'up') await this.options.dispose(previous.connection).catch(() => undefined)
  }

  private schedule(attempt: number): void {
    const {initialDelayMs, maxDelayMs, deadlineMs} = this.options.policy
    if (this.state.name !== 'down') return
    const since = this.state.since
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1))
    const delay = Math.max(0, Math.min(base * (0.8 + Math.random() * 0.4), since + deadlineMs - Date.now()))
    this.retryTimer = setTimeout(() => void this.attempt(attempt, since), delay)
  }

  private async attempt(attempt: number, since: number): Promise<void> {
    if (this.state.name !== 'down') return
    const generation = this.generation
    let connection: C | undefined
    try {
      connection = await this.options.open()
      if (this.state.name !== 'down' || generation !== this.generation) throw new Error('link closed meanwhile')
      await this.options.setUp(connection, true)
      if (this.state.name !== 'down') throw new Error('link closed meanwhile')
      if (this.state.first !== true || attempt > 1) this.options.logger.info({broker: this.options.shown, attempt, down_ms: Date.now() - since}, 'broker connection restored')
      this.becomeUp(connection)
      return
    } catch (error) {
      if (connection !== undefined) await this.options.dispose(connection).catch(() => undefined)
      if (this.state.name !== 'down') return
      if (this.state.first === true && isFactflowError(error) && error.code === 'QUEUE_BROKER_REFUSED') {
        // The broker answered no (credentials, permissions): waiting will not change it.
        this.state = {name: 'failed', error}
        this.rejectWaiters(error)
        return
      }
      if (Date.now() - since >= this.options.policy.deadlineMs) {
        this.fail(since, error)
        return
      }
      this.options.logger.debug({broker: this.options.shown, attempt, err: describeError(error)}, 'broker reconnect attempt failed')
      this.schedule(attempt + 1)
    }
  }

  private becomeUp(connection: C): void {
    this.generation++
    this.state = {name: 'up', connection}
    const waiters = this.waiters.splice(0)
    for (const waiter of waiters) waiter.resolve(connection)
  }

  private fail(since: number, cause: unknown): void {
    const error = brokerUnavailableError(this.options.kind, this.options.shown, Date.now() - since, this.options.policy.deadlineMs, cause)
    this.state = {name: 'failed', error}
    this.options.logger.error({broker: this.options.shown, err: describeError(cause)}, error.message)
    this.rejectWaiters(error)
    for (const listener of [...this.failedListeners]) {
      try {
        listener(error)
      } catch (listenerError) {
        this.options.logger.warn({err: describeError(listenerError)}, 'a broker failure listener threw')
      }
    }
  }

  private rejectWaiters(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }
}
