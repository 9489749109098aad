import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {isFactflowError} from '../../src/errors/index.js'
import {scopeDestination} from '../../src/queue/create-queue-provider.js'
import type {Delivery, DeliveryHandler, Outcome, QueueProvider} from '../../src/queue/types.js'

export interface QueueProviderContractOptions {
  /** Skip the whole suite (e.g. the broker is not reachable on this machine). */
  skip?: boolean
  /** Upper bound for any single wait on the broker, in ms. Default 10 000. */
  waitMs?: number
  /** How long "nothing more arrives" is watched, in ms. Default 300. */
  quietMs?: number
  /** The broker reports exact delivery counts (false where it only says "redelivered"). Default true. */
  exactDeliveryCount?: boolean
  /** Two providers from `makeProvider` reach the same broker (false for the in-process one). Default true. */
  sharedBroker?: boolean
  /** A provider that can delete the tests' queues, where `makeProvider`'s cannot (STOMP). Default: `makeProvider`. */
  makeCleaner?: () => Promise<QueueProvider>
}

/**
 * The behaviour every `QueueProvider` must have (docs/reference/engine.md, "Queues and brokers"). Run it
 * from a provider's test file: `queueProviderContract('amqp', () => makeProvider(), {skip})`.
 * `makeProvider` returns a fresh, unconnected provider; the suite connects it and closes it after
 * each test. Every test uses its own queue names, so a shared broker is fine.
 */
export function queueProviderContract(
  name: string,
  makeProvider: () => Promise<QueueProvider>,
  options: QueueProviderContractOptions = {},
): void {
  const waitMs = options.waitMs ?? 10_000
  const quietMs = options.quietMs ?? 300
  const exactDeliveryCount = options.exactDeliveryCount ?? true
  const sharedBroker = options.sharedBroker ?? true

  describe.skipIf(options.skip === true)(`QueueProvider contract: ${name}`, () => {
    let provider: QueueProvider
    const cleanups: (() => unknown)[] = []

    beforeEach(async () => {
      provider = await makeProvider()
      await provider.connect()
    })

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup()
      await provider.close()
      await deleteTestQueues(options.makeCleaner ?? makeProvider)
    })

    /** Waits until `predicate` holds, polling; fails with `what` after `waitMs`. */
    async function waitFor(what: string, predicate: () => boolean): Promise<void> {
      const deadline = Date.now() + waitMs
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`)
        await sleep(5)
      }
    }

    function collector(outcome: Outcome | ((delivery: Delivery) => Outcome | Promise<Outcome>) = 'ack') {
      const received: Delivery[] = []
      const handler: DeliveryHandler = async (delivery) => {
        received.push(delivery)
        return typeof outcome === 'function' ? outcome(delivery) : outcome
      }
      return {received, handler, bodies: () => received.map((d) => d.body)}
    }

    async function subscribe(destination: string, handler: DeliveryHandler, prefetch = 10, extra: {subscription?: string; deadLetterDestination?: string} = {}) {
      return provider.subscribe(destination, {subscription: extra.subscription ?? 'contract', prefetch, deadLetterDestination: extra.deadLetterDestination}, handler)
    }

    function gate() {
      let open!: (outcome: Outcome) => void
      const opened = new Promise<Outcome>((resolve) => { open = resolve })
      return {opened, open}
    }

    it('delivers messages published before the subscription', async () => {
      const queue = uniqueQueue('before')
      for (const body of ['a', 'b', 'c']) await provider.publish(queue, body)
      const {received, bodies, handler} = collector()
      await subscribe(queue, handler)
      await waitFor('3 deliveries', () => received.length >= 3)
      expect(bodies()).toEqual(['a', 'b', 'c'])
      expect(received.every((d) => d.destination === queue && !d.redelivered && d.deliveryCount === 1)).toBe(true)
    })

    it('delivers messages published after the subscription', async () => {
      const queue = uniqueQueue('after')
      const {received, bodies, handler} = collector()
      await subscribe(queue, handler)
      await provider.publish(queue, 'hello')
      await waitFor('1 delivery', () => received.length >= 1)
      expect(bodies()).toEqual(['hello'])
    })

    it('keeps the order of a batch for a single consumer', async () => {
      const queue = uniqueQueue('batch')
      const {received, bodies, handler} = collector()
      await subscribe(queue, handler, 10)
      const expected = Array.from({length: 100}, (_, i) => `m${i}`)
      await provider.publishBatch(expected.map((body) => ({destination: queue, body})))
      await waitFor('100 deliveries', () => received.length >= 100)
      expect(bodies()).toEqual(expected)
    })

    it('splits a queue between competing consumers with no duplicate and no loss', async () => {
      const queue = uniqueQueue('competing')
      const count = 300
      const perConsumer: string[][] = [[], [], []]
      for (const seen of perConsumer) {
        await subscribe(queue, async (delivery) => {
          seen.push(delivery.body)
          await sleep(1)
          return 'ack'
        }, 5, {subscription: 'workers'})
      }
      await provider.publishBatch(Array.from({length: count}, (_, i) => ({destination: queue, body: String(i)})))
      await waitFor(`${count} deliveries`, () => perConsumer.flat().length >= count)
      await sleep(quietMs)
      const all = perConsumer.flat()
      expect(all).toHaveLength(count)
      expect(new Set(all).size).toBe(count)
      for (const seen of perConsumer) expect(seen.length).toBeGreaterThan(0)
    })

    it('broadcasts a topic message to every subscription', async () => {
      const topic = `/topic/contract.${randomUUID()}.broadcast`
      const first = collector()
      const second = collector()
      await subscribe(topic, first.handler, 10, {subscription: `first-${randomUUID()}`})
      await subscribe(topic, second.handler, 10, {subscription: `second-${randomUUID()}`})
      for (let i = 0; i < 10; i++) await provider.publish(topic, `t${i}`)
      await waitFor('10 deliveries on each subscription', () => first.received.length >= 10 && second.received.length >= 10)
      const expected = Array.from({length: 10}, (_, i) => `t${i}`)
      expect(first.bodies()).toEqual(expected)
      expect(second.bodies()).toEqual(expected)
    })

    it('removes acked messages for good', async () => {
      const queue = uniqueQueue('ack')
      const first = collector('ack')
      const subscription = await subscribe(queue, first.handler)
      for (let i = 0; i < 5; i++) await provider.publish(queue, `a${i}`)
      await waitFor('5 deliveries', () => first.received.length >= 5)
      await subscription.close()
      const second = collector('ack')
      await subscribe(queue, second.handler)
      await provider.publish(queue, 'marker')
      await waitFor('the marker', () => second.received.length >= 1)
      await sleep(quietMs)
      expect(second.bodies()).toEqual(['marker'])
    })

    it('redelivers a requeued message marked redelivered', async () => {
      const queue = uniqueQueue('requeue')
      const {received, handler} = collector((delivery) => (delivery.redelivered ? 'ack' : 'requeue'))
      await subscribe(queue, handler)
      await provider.publish(queue, 'again')
      await waitFor('the redelivery', () => received.length >= 2)
      await sleep(quietMs)
      expect(received).toHaveLength(2)
      expect(received[0]).toMatchObject({body: 'again', redelivered: false, deliveryCount: 1})
      expect(received[1]).toMatchObject({body: 'again', redelivered: true})
      if (exactDeliveryCount) expect(received[1].deliveryCount).toBe(2)
    })

    it('redelivers a message whose handler throws', async () => {
      const queue = uniqueQueue('throw')
      const received: Delivery[] = []
      await subscribe(queue, async (delivery) => {
        received.push(delivery)
        if (!delivery.redelivered) throw new Error('handler failed')
        return 'ack'
      })
      await provider.publish(queue, 'boom')
      await waitFor('the redelivery', () => received.length >= 2)
      expect(received[1]).toMatchObject({body: 'boom', redelivered: true})
    })

    it('moves a rejected message to the dead-letter destination with body and headers intact', async () => {
      const queue = uniqueQueue('reject')
      const deadLetters = uniqueQueue('reject.dlq')
      const dlq = collector()
      await subscribe(deadLetters, dlq.handler)
      const main = collector('reject')
      await subscribe(queue, main.handler, 10, {deadLetterDestination: deadLetters})
      await provider.publish(queue, '{"doomed":true}', {'x-reason': 'bad input', trace: 'abc-123'})
      await waitFor('the dead letter', () => dlq.received.length >= 1)
      await sleep(quietMs)
      expect(main.received).toHaveLength(1)
      expect(dlq.received).toHaveLength(1)
      expect(dlq.received[0].body).toBe('{"doomed":true}')
      expect(dlq.received[0].headers).toMatchObject({'x-reason': 'bad input', trace: 'abc-123'})
    })

    it('never runs more handlers at once than the prefetch', async () => {
      const queue = uniqueQueue('prefetch')
      let current = 0
      let highest = 0
      let done = 0
      await subscribe(queue, async () => {
        current++
        highest = Math.max(highest, current)
        await sleep(20)
        current--
        done++
        return 'ack'
      }, 2)
      await provider.publishBatch(Array.from({length: 12}, (_, i) => ({destination: queue, body: String(i)})))
      await waitFor('12 settled deliveries', () => done >= 12)
      expect(highest).toBe(2)
    })

    it('stops deliveries while paused and resumes them without loss', async () => {
      const queue = uniqueQueue('pause')
      const {received, bodies, handler} = collector()
      const subscription = await subscribe(queue, handler, 5)
      for (let i = 0; i < 5; i++) await provider.publish(queue, `p${i}`)
      await waitFor('5 deliveries', () => received.length >= 5)
      subscription.pause()
      await sleep(50)
      for (let i = 5; i < 10; i++) await provider.publish(queue, `p${i}`)
      await sleep(quietMs)
      expect(received).toHaveLength(5)
      subscription.resume()
      await waitFor('10 deliveries', () => received.length >= 10)
      await sleep(quietMs)
      expect([...bodies()].sort()).toEqual(Array.from({length: 10}, (_, i) => `p${i}`).sort())
    })

    it('returns unsettled messages to the queue when a subscription closes', async () => {
      const queue = uniqueQueue('close.unsettled')
      const held = gate()
      const first = collector(() => held.opened)
      cleanups.push(() => held.open('ack'))
      const subscription = await subscribe(queue, first.handler, 3)
      await provider.publishBatch(['u0', 'u1', 'u2'].map((body) => ({destination: queue, body})))
      await waitFor('3 held deliveries', () => first.received.length >= 3)
      await subscription.close({drainTimeoutMs: 100})
      held.open('ack') // too late: the messages were handed back
      const second = collector()
      await subscribe(queue, second.handler, 10)
      await waitFor('3 redeliveries', () => second.received.length >= 3)
      await sleep(quietMs)
      expect([...second.bodies()].sort()).toEqual(['u0', 'u1', 'u2'])
      expect(second.received.every((d) => d.redelivered)).toBe(true)
      expect(first.received).toHaveLength(3)
    })

    it('round-trips headers', async () => {
      const queue = uniqueQueue('headers')
      const {received, handler} = collector()
      await subscribe(queue, handler)
      const headers = {'content-type': 'application/json', 'x-execution-id': randomUUID(), note: 'spaces, commas: and ünïcödé ✓'}
      await provider.publish(queue, 'with headers', headers)
      await waitFor('1 delivery', () => received.length >= 1)
      expect(received[0].headers).toMatchObject(headers)
    })

    it('round-trips a 200 KiB body unchanged', async () => {
      const queue = uniqueQueue('large')
      const {received, handler} = collector()
      await subscribe(queue, handler)
      const unit = 'factflow ✓ ünïcödé 0123456789 '
      const body = unit.repeat(Math.ceil((200 * 1024) / unit.length)).slice(0, 200 * 1024)
      await provider.publish(queue, body)
      await waitFor('1 delivery', () => received.length >= 1)
      expect(received[0].body.length).toBe(body.length)
      expect(received[0].body === body).toBe(true)
    })

    it('waits for in-flight handlers before a close resolves, and applies their outcomes', async () => {
      const queue = uniqueQueue('close.drain')
      let started = 0
      let finished = 0
      const subscription = await subscribe(queue, async () => {
        started++
        await sleep(150)
        finished++
        return 'ack'
      }, 3)
      await provider.publishBatch(['d0', 'd1', 'd2'].map((body) => ({destination: queue, body})))
      await waitFor('3 started handlers', () => started >= 3)
      await subscription.close()
      expect(finished).toBe(3)
      const after = collector()
      await subscribe(queue, after.handler)
      await sleep(quietMs)
      expect(after.received).toHaveLength(0)
    })

    it('gives a queue message to one subscription whatever its name, and a topic message to every name', async () => {
      const queue = uniqueQueue('queue-vs-topic')
      const topic = `/topic/contract.${randomUUID()}.queue-vs-topic`
      const [qa, qb, ta, tb] = [collector(), collector(), collector(), collector()]
      await subscribe(queue, qa.handler, 10, {subscription: 'a'})
      await subscribe(queue, qb.handler, 10, {subscription: 'b'})
      await subscribe(topic, ta.handler, 10, {subscription: `a-${randomUUID()}`})
      await subscribe(topic, tb.handler, 10, {subscription: `b-${randomUUID()}`})
      await provider.publishBatch(Array.from({length: 20}, (_, i) => ({destination: queue, body: `q${i}`})))
      await provider.publishBatch(Array.from({length: 5}, (_, i) => ({destination: topic, body: `t${i}`})))
      await waitFor('20 queue and 2 × 5 topic deliveries', () => qa.received.length + qb.received.length >= 20 && ta.received.length >= 5 && tb.received.length >= 5)
      await sleep(quietMs)
      expect([...qa.bodies(), ...qb.bodies()].sort()).toEqual(Array.from({length: 20}, (_, i) => `q${i}`).sort())
      expect(ta.bodies()).toEqual(['t0', 't1', 't2', 't3', 't4'])
      expect(tb.bodies()).toEqual(['t0', 't1', 't2', 't3', 't4'])
    })

    it('keeps two executions of one pipeline apart on one broker', async () => {
      const route = `/queue/contract.${randomUUID()}.route`
      const [first, second] = [randomUUID(), randomUUID()]
      const a = collector()
      const b = collector()
      usedQueues.push(scopeDestination(route, first), scopeDestination(route, second))
      await subscribe(scopeDestination(route, first), a.handler, 10, {subscription: 'route-workers'})
      await subscribe(scopeDestination(route, second), b.handler, 10, {subscription: 'route-workers'})
      for (let i = 0; i < 10; i++) {
        await provider.publish(scopeDestination(route, first), `first-${i}`)
        await provider.publish(scopeDestination(route, second), `second-${i}`)
      }
      await waitFor('10 deliveries per execution', () => a.received.length >= 10 && b.received.length >= 10)
      await sleep(quietMs)
      expect(a.bodies()).toEqual(Array.from({length: 10}, (_, i) => `first-${i}`))
      expect(b.bodies()).toEqual(Array.from({length: 10}, (_, i) => `second-${i}`))
    })

    it.skipIf(!sharedBroker)('splits a queue between consumers on two connections', async () => {
      const queue = uniqueQueue('two-connections')
      const other = await makeProvider()
      await other.connect()
      cleanups.push(() => other.close())
      const mine = collector()
      const theirs = collector()
      await subscribe(queue, mine.handler, 5, {subscription: 'workers'})
      await other.subscribe(queue, {subscription: 'workers', prefetch: 5}, async (delivery) => {
        theirs.received.push(delivery)
        await sleep(2)
        return 'ack'
      })
      await provider.publishBatch(Array.from({length: 200}, (_, i) => ({destination: queue, body: String(i)})))
      await waitFor('200 deliveries', () => mine.received.length + theirs.received.length >= 200)
      await sleep(quietMs)
      const all = [...mine.bodies(), ...theirs.bodies()]
      expect(all).toHaveLength(200)
      expect(new Set(all).size).toBe(200)
      expect(mine.received.length).toBeGreaterThan(0)
      expect(theirs.received.length).toBeGreaterThan(0)
    })

    it.skipIf(!sharedBroker)('hands the unacked messages of a closed connection to a consumer on another', async () => {
      const queue = uniqueQueue('handover')
      const other = await makeProvider()
      await other.connect()
      const held = gate()
      cleanups.push(() => held.open('ack'))
      const seen: string[] = []
      const subscription = await other.subscribe(queue, {subscription: 'workers', prefetch: 4}, async (delivery) => {
        seen.push(delivery.body)
        return held.opened
      })
      await provider.publishBatch(['h0', 'h1', 'h2', 'h3'].map((body) => ({destination: queue, body})))
      await waitFor('4 held deliveries', () => seen.length >= 4)
      await subscription.close({drainTimeoutMs: 50})
      await other.close()
      const after = collector()
      await subscribe(queue, after.handler, 10, {subscription: 'workers'})
      await waitFor('4 redeliveries', () => after.received.length >= 4)
      expect([...after.bodies()].sort()).toEqual(['h0', 'h1', 'h2', 'h3'])
      expect(after.received.every((d) => d.redelivered)).toBe(true)
    })

    it('drains subscriptions on provider close, then refuses publishes with a coded error', async () => {
      const queue = uniqueQueue('provider.close')
      let finished = 0
      const started: string[] = []
      await subscribe(queue, async (delivery) => {
        started.push(delivery.body)
        await sleep(100)
        finished++
        return 'ack'
      })
      await provider.publish(queue, 'last')
      await waitFor('the delivery', () => started.length >= 1)
      await provider.close()
      expect(finished).toBe(1)
      const error = await provider.publish(queue, 'too late').then(() => undefined, (caught: unknown) => caught)
      expect(isFactflowError(error)).toBe(true)
      expect(error).toMatchObject({code: 'QUEUE_PROVIDER_CLOSED'})
      const batchError = await provider.publishBatch([{destination: queue, body: 'too late'}]).then(() => undefined, (caught: unknown) => caught)
      expect(batchError).toMatchObject({code: 'QUEUE_PROVIDER_CLOSED'})
    })
  })
}

/** Queues the tests made: deleted after each test (durable brokers would keep them for good). */
const usedQueues: string[] = []

/** A queue name no other test (or earlier run on a shared broker) uses. */
export function uniqueQueue(label: string): string {
  const queue = `/queue/contract.${randomUUID()}.${label}`
  usedQueues.push(queue)
  return queue
}

/** Deletes the queues the last test used, where the provider can (a no-op on STOMP). */
export async function deleteTestQueues(makeProvider: () => Promise<QueueProvider>): Promise<void> {
  const queues = usedQueues.splice(0)
  if (queues.length === 0) return
  const cleaner = await makeProvider()
  try {
    await cleaner.connect()
    for (const queue of queues) await cleaner.deleteQueue(queue).catch(() => undefined)
  } finally {
    await cleaner.close()
  }
}
