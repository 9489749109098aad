import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {isSettled} from '../helpers/settled.js'

import {MemoryQueueProvider} from '../../src/queue/memory-queue-provider.js'
import {uniqueQueue} from '../contracts/queue-provider.contract.js'


describe('MemoryQueueProvider flow control (a slow route makes its upstream wait)', () => {
  it('keeps every message, but a publish past the depth limit resolves only once consumers made room', async () => {
    const provider = new MemoryQueueProvider({limits: {maxDepth: 100}})
    const queue = uniqueQueue('flow')
    const received: string[] = []
    let release: (() => void) | undefined
    let gate = new Promise<void>((resolve) => { release = resolve })
    await provider.subscribe(queue, {subscription: 's', prefetch: 10}, async (delivery) => {
      await gate
      received.push(delivery.body)
      return 'ack'
    })
    // 10 go out to the consumer (prefetch), then 99 wait: under the limit.
    expect(await isSettled(provider.publishBatch(Array.from({length: 10}, (_, i) => ({destination: queue, body: `m${i}`}))))).toBe(true)
    expect(await isSettled(provider.publishBatch(Array.from({length: 99}, (_, i) => ({destination: queue, body: `m${10 + i}`}))))).toBe(true)
    // The publish that makes 100 waiting is taken, then waits.
    const blocked = provider.publish(queue, 'm109')
    expect(await isSettled(blocked)).toBe(false)
    expect(await provider.depth(queue)).toBe(100)
    // The consumer works again: once 75 or fewer wait, the publisher goes on.
    release!()
    await blocked
    expect(await provider.depth(queue)).toBeLessThanOrEqual(75)
    gate = Promise.resolve()
    await until(() => received.length === 110)
    expect(new Set(received).size).toBe(110)
    await provider.close()
  })

  it('bounds a queue by the characters of its bodies too', async () => {
    const provider = new MemoryQueueProvider({limits: {maxChars: 10_000}})
    const queue = uniqueQueue('chars')
    const body = 'x'.repeat(1_000)
    const publishes = Array.from({length: 9}, () => provider.publish(queue, body))
    for (const publish of publishes) expect(await isSettled(publish)).toBe(true)
    const tenth = provider.publish(queue, body)
    expect(await isSettled(tenth)).toBe(false)
    await provider.subscribe(queue, {subscription: 's', prefetch: 5}, async () => 'ack')
    await tenth
    await provider.close()
  })

  it('lets publishers go when nobody takes messages (a consumer stuck publishing into its own queue), and stops waiting on it', async () => {
    const provider = new MemoryQueueProvider({limits: {maxDepth: 10, stallMs: 100}})
    const queue = uniqueQueue('stall')
    await provider.publishBatch(Array.from({length: 9}, (_, i) => ({destination: queue, body: `m${i}`})))
    const started = performance.now()
    await provider.publish(queue, 'm9')
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(90)
    expect(waited).toBeLessThan(2_000)
    // Stalled: later publishes are accepted at once, and none is lost.
    expect(await isSettled(provider.publish(queue, 'm10'))).toBe(true)
    expect(await provider.depth(queue)).toBe(11)
    await provider.close()
  })

  it('makes a publisher to a topic wait for its slowest subscription', async () => {
    const provider = new MemoryQueueProvider({limits: {maxDepth: 5}})
    const topic = `/topic/${uniqueQueue('t').slice('/queue/'.length)}`
    let slowRelease: (() => void) | undefined
    const slowGate = new Promise<void>((resolve) => { slowRelease = resolve })
    let fast = 0
    await provider.subscribe(topic, {subscription: 'fast', prefetch: 100}, async () => { fast++; return 'ack' })
    await provider.subscribe(topic, {subscription: 'slow', prefetch: 1}, async () => { await slowGate; return 'ack' })
    const publishes = Array.from({length: 6}, (_, i) => provider.publish(topic, `e${i}`))
    await sleep(0)
    // 'slow' holds one, 5 wait for it: the sixth publish waits, though 'fast' took everything.
    expect(await isSettled(publishes[5]!)).toBe(false)
    expect(fast).toBe(6)
    slowRelease!()
    await Promise.all(publishes)
    await provider.close()
  })
})

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(2)
  }
}
