import {describeError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {SettledIds} from './settled-ids.js'
import type {Delivery, DeliveryHandler, Outcome, Subscription, SubscriptionCloseOptions} from './types.js'

/** What a network provider does on the wire for one subscription. `T` is its delivery token. */
export interface BrokerConsumerWire<T> {
  /** Start (or restart, after pause or reconnect) taking deliveries on the current connection. */
  start(): Promise<void>
  /** Stop taking new deliveries; deliveries already received stay settleable. */
  stop(): Promise<void>
  /** Ack or nack-with-requeue on the wire; a no-op when the token's connection is gone. */
  settle(token: T, outcome: 'ack' | 'requeue'): void
  /** Hands every still-unsettled token back to the broker (close a channel, nack each). */
  release(tokens: T[]): Promise<void>
  /** Publishes a rejected message (confirmed) to the dead-letter destination. */
  deadLetter(destination: string, body: string, headers: Readonly<Record<string, string>>): Promise<void>
}

/** A wire that hears deliveries for the consumer `startBrokerConsumer` gives it. */
export interface ConsumerBoundWire<T> extends BrokerConsumerWire<T> {
  consumer: BrokerConsumer<T>
}

/**
 * The part of `subscribe` every network provider shares: binds `wire` and a new `BrokerConsumer`,
 * keeps the wire in `wires` while the subscription lives, starts it, and forgets it again when the
 * start fails (the error is the caller's).
 */
export async function startBrokerConsumer<T, W extends ConsumerBoundWire<T>>(
  wires: Set<W>,
  wire: W,
  options: Omit<BrokerConsumerOptions<T>, 'wire' | 'onClosed'>,
): Promise<BrokerConsumer<T>> {
  const consumer = new BrokerConsumer<T>({...options, wire, onClosed: () => wires.delete(wire)})
  wire.consumer = consumer
  wires.add(wire)
  try {
    await wire.start()
  } catch (error) {
    wires.delete(wire)
    throw error
  }
  return consumer
}

export interface BrokerConsumerOptions<T> {
  destination: string
  subscription: string
  prefetch: number
  deadLetterDestination: string | undefined
  handler: DeliveryHandler
  logger: Logger
  /** Message ids already settled by this process (redeliveries after a lost ack, duplicate publishes). */
  settledIds: SettledIds
  wire: BrokerConsumerWire<T>
  onClosed(): void
}

interface Entry<T> {
  token: T
  delivery: Delivery
  /** The id the publishing provider stamped on the message (absent for foreign publishers). */
  id: string | undefined
  /** Its connection died while the handler ran: the outcome cannot reach the broker. */
  stale: boolean
  /** Handed back to the broker by a close that stopped waiting: the handler's outcome is void. */
  released: boolean
  /** Settles the entry in `settledIds` (set while the handler runs). */
  settleId?: (outcome: Outcome) => void
}

/**
 * The broker-independent half of a network subscription: at most `prefetch` handlers at once
 * (deliveries past that wait here, for brokers that do not bound what they push), pause, resume,
 * close with drain, reject → dead-letter destination, and no second handler run for a message this
 * process already settled (a redelivery whose ack was lost with the connection).
 */
export class BrokerConsumer<T> implements Subscription {
  private readonly waiting: Entry<T>[] = []
  private readonly running = new Set<Entry<T>>()
  /** Handlers of the current connection only (the prefetch the broker accounts for). */
  private paused = false
  private closing = false
  private closePromise: Promise<void> | undefined
  private drained: (() => void) | undefined
  private readonly key: string

  constructor(private readonly options: BrokerConsumerOptions<T>) {
    this.key = `${options.destination}\u0000${options.subscription}\u0000`
  }

  /** Whether the wire should be consuming (not paused, not closing). */
  get active(): boolean {
    return !this.paused && !this.closing
  }

  /** A delivery arrived on the wire. */
  deliver(token: T, delivery: Delivery, id: string | undefined): void {
    if (this.closing) {
      this.options.wire.settle(token, 'requeue')
      return
    }
    const entry: Entry<T> = {token, delivery, id, stale: false, released: false}
    if (id !== undefined) {
      const key = this.key + id
      const earlier = this.options.settledIds.get(key)
      if (earlier === 'ack') {
        this.options.logger.debug({destination: this.options.destination, id}, 'already settled by this process; acked without a second run')
        this.options.wire.settle(token, 'ack')
        return
      }
      if (earlier instanceof Promise) {
        // The same message is still running from a connection that died: wait for its outcome.
        void earlier.then((outcome) => {
          if (outcome === 'ack') this.options.wire.settle(token, 'ack')
          else this.admit(entry)
        })
        return
      }
    }
    this.admit(entry)
  }

  /** The connection died: its waiting deliveries will be redelivered; running ones are stale. */
  connectionLost(): void {
    this.waiting.length = 0
    for (const entry of this.running) entry.stale = true
  }

  pause(): void {
    if (this.paused || this.closing) return
    this.paused = true
    void this.options.wire.stop().catch((error: unknown) => this.options.logger.debug({err: describeError(error)}, 'pause: stop failed'))
  }

  resume(): void {
    if (!this.paused || this.closing) return
    this.paused = false
    this.pump()
    void this.options.wire.start().catch((error: unknown) => this.options.logger.warn({err: describeError(error)}, 'resume: could not consume again (the next reconnect will)'))
  }

  close(options: SubscriptionCloseOptions = {}): Promise<void> {
    this.closePromise ??= this.drainAndLeave(options.drainTimeoutMs)
    return this.closePromise
  }

  private admit(entry: Entry<T>): void {
    if (this.closing) {
      this.options.wire.settle(entry.token, 'requeue')
      return
    }
    this.waiting.push(entry)
    this.pump()
  }

  private pump(): void {
    while (!this.paused && !this.closing && this.waiting.length > 0 && this.running.size < this.options.prefetch) {
      const entry = this.waiting.shift()!
      this.running.add(entry)
      void this.run(entry)
    }
  }

  private async run(entry: Entry<T>): Promise<void> {
    if (entry.id !== undefined) {
      const key = this.key + entry.id
      let resolve!: (outcome: Outcome) => void
      this.options.settledIds.running(key, new Promise<Outcome>((done) => { resolve = done }))
      entry.settleId = (outcome) => {
        entry.settleId = undefined
        this.options.settledIds.settled(key, outcome)
        resolve(outcome)
      }
    }
    let outcome: Outcome
    try {
      outcome = await this.options.handler(entry.delivery)
    } catch (error) {
      this.options.logger.warn({destination: this.options.destination, error: describeError(error)}, 'queue handler threw; message requeued')
      outcome = 'requeue'
    }
    if (outcome !== 'ack' && outcome !== 'reject' && outcome !== 'requeue') {
      this.options.logger.warn({destination: this.options.destination, outcome}, 'queue handler returned an unknown outcome; message requeued')
      outcome = 'requeue'
    }
    if (entry.released) return // handed back by a close that stopped waiting
    if (outcome === 'reject') outcome = await this.reject(entry)
    entry.settleId?.(outcome)
    if (!this.running.delete(entry)) return
    if (!entry.stale) this.options.wire.settle(entry.token, outcome === 'ack' ? 'ack' : 'requeue')
    if (this.closing) {
      if (this.running.size === 0) this.drained?.()
    } else {
      this.pump()
    }
  }

  /** Dead-letters a rejected message; `requeue` when that publish failed (the broker redelivers). */
  private async reject(entry: Entry<T>): Promise<Outcome> {
    const target = this.options.deadLetterDestination
    if (target === undefined) {
      this.options.logger.warn({destination: this.options.destination, subscription: this.options.subscription}, 'message rejected with no dead-letter destination; dropped')
      return 'ack'
    }
    try {
      await this.options.wire.deadLetter(target, entry.delivery.body, entry.delivery.headers)
      return 'ack'
    } catch (error) {
      this.options.logger.warn({destination: this.options.destination, err: describeError(error)}, 'could not dead-letter a rejected message; requeued')
      return 'requeue'
    }
  }

  private async drainAndLeave(drainTimeoutMs: number | undefined): Promise<void> {
    this.closing = true
    await this.options.wire.stop().catch(() => undefined)
    const waiting = this.waiting.splice(0).map((entry) => entry.token)
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.drained = resolve
        if (drainTimeoutMs !== undefined) timer = setTimeout(resolve, Math.max(0, drainTimeoutMs))
      })
      clearTimeout(timer)
    }
    const unsettled = [...waiting]
    for (const entry of this.running) {
      entry.released = true
      entry.settleId?.('requeue')
      if (!entry.stale) unsettled.push(entry.token)
    }
    this.running.clear()
    await this.options.wire.release(unsettled).catch((error: unknown) => this.options.logger.debug({err: describeError(error)}, 'release failed (the broker returns them when the connection goes)'))
    this.options.onClosed()
  }
}
