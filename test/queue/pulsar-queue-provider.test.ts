import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import {PulsarQueueProvider} from '../../src/queue/pulsar-queue-provider.js'
import type {Delivery} from '../../src/queue/types.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {startPulsarWebSocketServer} from '../helpers/pulsar-websocket-server.js'

// The local WebSocket-protocol fake unless FACTFLOW_TEST_PULSAR_URL names a real Pulsar.
const broker = await pulsarTestBroker()
afterAll(() => broker.close())

queueProviderContract('pulsar', () => createQueueProvider(broker.url, {logger: silentLogger}), {skip: !broker.available})

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

describe.skipIf(!broker.available)('pulsar provider on the broker', () => {
  it('drops a deleted queue with what it held: a later consumer of the same name starts empty', async () => {
    const queue = `/queue/pulsar.${randomUUID()}.deleted`
    const provider = await createQueueProvider(broker.url, {logger: silentLogger})
    await provider.connect()
    try {
      await provider.publishBatch(['old-1', 'old-2'].map((body) => ({destination: queue, body})))
      await provider.deleteQueue(queue)
      const received: Delivery[] = []
      await provider.subscribe(queue, {subscription: 'after', prefetch: 5}, async (delivery) => {
        received.push(delivery)
        return 'ack'
      })
      await provider.publish(queue, 'new')
      await until('the new message', () => received.length >= 1)
      await sleep(300)
      expect(received.map((d) => d.body)).toEqual(['new'])
    } finally {
      await provider.deleteQueue(queue)
      await provider.close()
    }
  })
})

describe.skipIf(broker.fake === undefined)('pulsar provider on the protocol fake', () => {
  const fake = broker.fake!

  it('maps /queue/x into the URL\'s tenant/namespace with one shared subscription, and deletes the topic with the queue', async () => {
    const name = `pulsar.${randomUUID()}.mapped`
    const provider = await createQueueProvider(`${broker.url}/acme/ingest`, {logger: silentLogger})
    await provider.connect()
    try {
      await provider.subscribe(`/queue/${name}`, {subscription: 'one', prefetch: 3}, async () => 'ack')
      await provider.subscribe(`/queue/${name}`, {subscription: 'two', prefetch: 3}, async () => 'ack')
      await provider.publish(`/queue/${name}`, 'x')
      expect(fake.topic(`persistent://acme/ingest/${name}`)).toMatchObject({subscriptions: {factflow: {consumers: 2}}, producers: 1})
      await provider.deleteQueue(`/queue/${name}`) // refused while consumers share it: nothing lost
      expect(fake.topic(`persistent://acme/ingest/${name}`)?.subscriptions).toHaveProperty('factflow')
    } finally {
      await provider.close()
    }
    const cleaner = await createQueueProvider(`${broker.url}/acme/ingest`, {logger: silentLogger})
    await cleaner.connect()
    await cleaner.deleteQueue(`/queue/${name}`)
    await cleaner.close()
    expect(fake.topic(`persistent://acme/ingest/${name}`)).toBeUndefined()
  })

  it('gives each topic subscription name its own subscription, and unsubscribes it when it closes', async () => {
    const topic = `/topic/pulsar.${randomUUID()}.events`
    const provider = await createQueueProvider(broker.url, {logger: silentLogger})
    await provider.connect()
    try {
      const a = await provider.subscribe(topic, {subscription: 'alpha', prefetch: 2}, async () => 'ack')
      await provider.subscribe(topic, {subscription: 'beta', prefetch: 2}, async () => 'ack')
      const full = `persistent://public/default/${topic.slice('/topic/'.length)}`
      expect(Object.keys(fake.topic(full)!.subscriptions).sort()).toEqual(['alpha', 'beta'])
      await a.close()
      await until('alpha unsubscribed', () => Object.keys(fake.topic(full)!.subscriptions).join() === 'beta')
    } finally {
      await provider.close()
    }
  })

  it('closes a topic\'s producer socket once it has been idle', async () => {
    const queue = `/queue/pulsar.${randomUUID()}.idle`
    const provider = new PulsarQueueProvider({url: broker.url, producerIdleMs: 200})
    await provider.connect()
    try {
      await provider.publish(queue, 'once')
      const full = `persistent://public/default/${queue.slice('/queue/'.length)}`
      expect(fake.topic(full)?.producers).toBe(1)
      await until('the idle producer closed', () => fake.topic(full)?.producers === 0, 3000)
      await provider.publish(queue, 'again') // a new producer opens on demand
      expect(fake.topic(full)).toMatchObject({producers: 1, subscriptions: {factflow: {backlog: 2}}})
    } finally {
      await provider.close()
    }
  })

  it('sends the token as a bearer and turns a refusal into QUEUE_BROKER_REFUSED at once, not after the reconnect deadline', async () => {
    const guarded = await startPulsarWebSocketServer({token: 's3cret-token'})
    try {
      const good = await createQueueProvider(`pulsar://:s3cret-token@127.0.0.1:${guarded.port}`, {logger: silentLogger})
      await good.connect()
      const received: string[] = []
      await good.subscribe('/queue/guarded', {subscription: 's', prefetch: 1}, async (delivery) => {
        received.push(delivery.body)
        return 'ack'
      })
      await good.publish('/queue/guarded', 'let in')
      await until('the delivery', () => received.length === 1)
      await good.close()

      const bad = await createQueueProvider(`pulsar://:wrong@127.0.0.1:${guarded.port}`, {logger: silentLogger})
      await bad.connect()
      const started = Date.now()
      const publishError = await bad.publish('/queue/guarded', 'kept out').catch((caught: unknown) => caught) as Error
      expect(publishError).toMatchObject({code: 'QUEUE_BROKER_REFUSED'})
      const subscribeError = await bad.subscribe('/queue/guarded', {subscription: 's', prefetch: 1}, async () => 'ack').catch((caught: unknown) => caught) as Error
      expect(subscribeError).toMatchObject({code: 'QUEUE_BROKER_REFUSED'})
      expect(Date.now() - started).toBeLessThan(3000)
      expect(publishError.message + subscribeError.message).not.toContain('wrong')
      await bad.close()
    } finally {
      await guarded.close()
    }
  })
})
