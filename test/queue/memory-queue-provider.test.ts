import {setImmediate as nextTurn, setTimeout as sleep} from 'node:timers/promises'
import v8 from 'node:v8'
import vm from 'node:vm'

import {describe, expect, it} from 'vitest'

import {silentLogger, type Logger} from '../../src/logging/logger.js'
import {MemoryQueueProvider} from '../../src/queue/memory-queue-provider.js'
import type {Delivery} from '../../src/queue/types.js'
import {queueProviderContract, uniqueQueue} from '../contracts/queue-provider.contract.js'

queueProviderContract('memory', async () => new MemoryQueueProvider({logger: silentLogger}), {sharedBroker: false})

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(2)
  }
}

function recordingLogger(): Logger & {warnings: string[]} {
  const warnings: string[] = []
  const logger = {...silentLogger, warnings, warn: (_fields: Record<string, unknown>, message: string) => { warnings.push(message) }, child: () => logger}
  return logger
}

describe('MemoryQueueProvider', () => {
  it('moves 100k messages through two competing consumers with no loss and no duplicate', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('bulk')
    const count = 100_000
    const seen = new Uint8Array(count)
    let received = 0
    for (let c = 0; c < 2; c++) {
      await provider.subscribe(queue, {subscription: 'bulk', prefetch: 100}, async (delivery) => {
        seen[Number(delivery.body)]++
        received++
        return 'ack'
      })
    }
    for (let start = 0; start < count; start += 1000) {
      await provider.publishBatch(Array.from({length: 1000}, (_, i) => ({destination: queue, body: String(start + i)})))
    }
    await until(() => received >= count)
    await sleep(20)
    expect(received).toBe(count)
    expect(seen.every((n) => n === 1)).toBe(true)
    expect(await provider.depth(queue)).toBe(0)
    await provider.close()
  })

  it('keeps order and counts through a wrapped ring buffer with requeues', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('wrap')
    // fill and partly drain before subscribing so the backlog's head sits mid-ring
    const bodies: string[] = []
    const received: Delivery[] = []
    await provider.publishBatch(Array.from({length: 30}, (_, i) => ({destination: queue, body: `w${i}`})))
    await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async (delivery) => {
      received.push(delivery)
      // every 7th message is requeued once: it must come back at the back, redelivered, count 2
      if (Number(delivery.body.slice(1)) % 7 === 0 && !delivery.redelivered) return 'requeue'
      bodies.push(delivery.body)
      return 'ack'
    })
    await until(() => bodies.length >= 30)
    const requeued = ['w0', 'w7', 'w14', 'w21', 'w28']
    expect(bodies).toEqual([...Array.from({length: 30}, (_, i) => `w${i}`).filter((b) => !requeued.includes(b)), ...requeued])
    const redeliveries = received.filter((d) => d.redelivered)
    expect(redeliveries.map((d) => d.body)).toEqual(requeued)
    expect(redeliveries.every((d) => d.deliveryCount === 2)).toBe(true)
    await provider.close()
  })

  it('counts every delivery of a message that keeps being requeued', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('count')
    const counts: number[] = []
    await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async (delivery) => {
      counts.push(delivery.deliveryCount)
      return delivery.deliveryCount < 4 ? 'requeue' : 'ack'
    })
    await provider.publish(queue, 'x')
    await until(() => counts.length >= 4)
    expect(counts).toEqual([1, 2, 3, 4])
    await provider.close()
  })

  it('frees the memory of pending messages once they are acked', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed }
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('memory')
    const size = 200 * 1024
    const before = heap()
    for (let i = 0; i < 500; i++) await provider.publish(queue, Buffer.alloc(size, `${i}:`).toString('latin1')) // flat, unshared strings
    const loaded = heap()
    expect(loaded - before).toBeGreaterThan(80 * 1024 * 1024)
    let acked = 0
    await provider.subscribe(queue, {subscription: 's', prefetch: 50}, async () => { acked++; return 'ack' })
    await until(() => acked >= 500)
    await sleep(10)
    const after = heap()
    expect(after - before).toBeLessThan(20 * 1024 * 1024)
    await provider.close()
  })

  it('keeps the event loop responsive while a large backlog drains', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('responsive')
    const count = 100_000
    let received = 0
    await provider.publishBatch(Array.from({length: count}, (_, i) => ({destination: queue, body: String(i)})))
    let receivedWhenTimerFired = -1
    setTimeout(() => { receivedWhenTimerFired = received }, 1)
    let immediates = 0
    const ticking = (async () => { while (received < count) { immediates++; await nextTurn() } })()
    await provider.subscribe(queue, {subscription: 's', prefetch: 100}, async () => { received++; return 'ack' })
    await until(() => received >= count)
    await ticking
    expect(receivedWhenTimerFired).toBeGreaterThanOrEqual(0)
    expect(receivedWhenTimerFired).toBeLessThan(count)
    expect(immediates).toBeGreaterThan(10)
    await provider.close()
  })

  it('serves busy queues in turns rather than draining one first', async () => {
    const provider = new MemoryQueueProvider({dispatchSlice: 32})
    const order: string[] = []
    for (const name of ['a', 'b']) {
      await provider.subscribe(`/queue/turns.${name}`, {subscription: 's', prefetch: 1000}, async () => { order.push(name); return 'ack' })
    }
    // both backlogs land in the same tick, before any dispatch
    const batch = (name: string) => Array.from({length: 500}, (_, i) => ({destination: `/queue/turns.${name}`, body: String(i)}))
    await Promise.all([provider.publishBatch(batch('a')), provider.publishBatch(batch('b'))])
    await until(() => order.length >= 1000)
    expect(order.indexOf('b')).toBeLessThan(100)
    expect(order.lastIndexOf('a')).toBeGreaterThan(900)
    await provider.close()
  })

  it('drops topic messages nobody subscribes to', async () => {
    const provider = new MemoryQueueProvider()
    const topic = `/topic/t.${Math.random()}`
    await provider.publish(topic, 'lost')
    const received: string[] = []
    await provider.subscribe(topic, {subscription: 'late', prefetch: 10}, async (d) => { received.push(d.body); return 'ack' })
    await provider.publish(topic, 'kept')
    await until(() => received.length >= 1)
    await sleep(20)
    expect(received).toEqual(['kept'])
    await provider.close()
  })

  it('shares one topic subscription between consumers of the same name', async () => {
    const provider = new MemoryQueueProvider()
    const topic = '/topic/shared'
    const a: string[] = []
    const b: string[] = []
    const other: string[] = []
    const slow = (into: string[]) => async (d: Delivery) => { into.push(d.body); await sleep(1); return 'ack' as const }
    await provider.subscribe(topic, {subscription: 'workers', prefetch: 2}, slow(a))
    await provider.subscribe(topic, {subscription: 'workers', prefetch: 2}, slow(b))
    await provider.subscribe(topic, {subscription: 'audit', prefetch: 2}, slow(other))
    await provider.publishBatch(Array.from({length: 40}, (_, i) => ({destination: topic, body: String(i)})))
    await until(() => a.length + b.length >= 40 && other.length >= 40)
    expect(new Set([...a, ...b]).size).toBe(40)
    expect(a.length).toBeGreaterThan(0)
    expect(b.length).toBeGreaterThan(0)
    expect(other).toHaveLength(40)
    await provider.close()
  })

  it('forgets a topic subscription when its last consumer closes', async () => {
    const provider = new MemoryQueueProvider()
    const topic = '/topic/transient'
    const first = await provider.subscribe(topic, {subscription: 'audit', prefetch: 1}, async () => 'ack')
    first.pause()
    await provider.publish(topic, 'while-paused')
    await first.close()
    const received: string[] = []
    await provider.subscribe(topic, {subscription: 'audit', prefetch: 1}, async (d) => { received.push(d.body); return 'ack' })
    await provider.publish(topic, 'fresh')
    await until(() => received.length >= 1)
    await sleep(20)
    expect(received).toEqual(['fresh'])
    await provider.close()
  })

  it('treats /queue/x and x as the same queue', async () => {
    const provider = new MemoryQueueProvider()
    await provider.publish('/queue/same', 'one')
    await provider.publish('same', 'two')
    expect(await provider.depth('same')).toBe(2)
    expect(await provider.depth('/queue/same')).toBe(2)
    await provider.close()
  })

  it('reports depth of waiting messages, and deletes queues', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('depth')
    expect(await provider.depth(queue)).toBe(0)
    expect(await provider.depth('/topic/anything')).toBeUndefined()
    await provider.publishBatch([{destination: queue, body: '1'}, {destination: queue, body: '2'}, {destination: queue, body: '3'}])
    expect(await provider.depth(queue)).toBe(3)
    await provider.deleteQueue(queue)
    expect(await provider.depth(queue)).toBe(0)
    const received: string[] = []
    await provider.subscribe(queue, {subscription: 's', prefetch: 5}, async (d) => { received.push(d.body); return 'ack' })
    await provider.publish(queue, 'after')
    await until(() => received.length >= 1)
    await sleep(20)
    expect(received).toEqual(['after'])
    await provider.close()
  })

  it('drops a rejected message with a warning when there is no dead-letter destination', async () => {
    const logger = recordingLogger()
    const provider = new MemoryQueueProvider({logger})
    const queue = uniqueQueue('nodlq')
    let calls = 0
    await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async () => { calls++; return 'reject' })
    await provider.publish(queue, 'x')
    await until(() => logger.warnings.length >= 1)
    await sleep(20)
    expect(calls).toBe(1)
    expect(logger.warnings[0]).toMatch(/no dead-letter destination/)
    expect(await provider.depth(queue)).toBe(0)
    await provider.close()
  })

  it('copies headers on publish', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('copy')
    const headers: Record<string, string> = {a: '1'}
    await provider.publish(queue, 'x', headers)
    headers.a = 'changed'
    const received: Delivery[] = []
    await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async (d) => { received.push(d); return 'ack' })
    await until(() => received.length >= 1)
    expect(received[0].headers).toEqual({a: '1'})
    await provider.close()
  })

  it('rejects invalid subscribe options and subscribes after close with coded errors', async () => {
    const provider = new MemoryQueueProvider()
    await expect(provider.subscribe('/queue/x', {subscription: 's', prefetch: 0}, async () => 'ack')).rejects.toMatchObject({code: 'QUEUE_SUBSCRIBE_INVALID'})
    await expect(provider.subscribe('/queue/x', {subscription: '', prefetch: 1}, async () => 'ack')).rejects.toMatchObject({code: 'QUEUE_SUBSCRIBE_INVALID'})
    await provider.close()
    await expect(provider.subscribe('/queue/x', {subscription: 's', prefetch: 1}, async () => 'ack')).rejects.toMatchObject({code: 'QUEUE_PROVIDER_CLOSED'})
  })

  it('lets handlers publish while the provider drains on close', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('drain.publish')
    let published: unknown = 'pending'
    await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async () => {
      await sleep(30)
      published = await provider.publish(uniqueQueue('out'), 'emitted').then(() => 'ok', (e: unknown) => e)
      return 'ack'
    })
    await provider.publish(queue, 'in')
    await sleep(5)
    await provider.close()
    expect(published).toBe('ok')
  })

  it('closes a subscription idempotently and ignores resume after close', async () => {
    const provider = new MemoryQueueProvider()
    const queue = uniqueQueue('idem')
    const subscription = await provider.subscribe(queue, {subscription: 's', prefetch: 1}, async () => 'ack')
    const first = subscription.close()
    expect(subscription.close()).toBe(first)
    await first
    subscription.resume()
    await provider.publish(queue, 'x')
    await sleep(20)
    expect(await provider.depth(queue)).toBe(1)
    await provider.close()
  })
})
