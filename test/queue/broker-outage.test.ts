import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import type {QueueProvider} from '../../src/queue/types.js'
import {uniqueQueue} from '../contracts/queue-provider.contract.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'
import {startTcpProxy, type TcpProxy} from '../helpers/tcp-proxy.js'

const pulsar = await pulsarTestBroker()
const brokers = [
  {name: 'amqp', url: AMQP_URL, available: await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)},
  {name: 'stomp', url: STOMP_URL, available: await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)},
  // The local Pulsar WebSocket-protocol fake (or FACTFLOW_TEST_PULSAR_URL's broker).
  {name: 'pulsar', url: pulsar.url, available: pulsar.available},
]
afterAll(() => pulsar.close())

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

for (const broker of brokers) {
  describe.skipIf(!broker.available)(`${broker.name} provider across a broker outage (TCP cut through a proxy)`, () => {
    const opened: {proxy?: TcpProxy; providers: QueueProvider[]} = {providers: []}

    afterEach(async () => {
      opened.proxy?.restore()
      for (const provider of opened.providers.splice(0)) await provider.close().catch(() => undefined)
      await opened.proxy?.close()
    })

    async function throughProxy(params = ''): Promise<{proxy: TcpProxy; provider: QueueProvider}> {
      const url = new URL(broker.url)
      const proxy = await startTcpProxy({host: url.hostname, port: Number(url.port)})
      opened.proxy = proxy
      const provider = await createQueueProvider(`${proxy.rewrite(broker.url)}${params}`, {logger: silentLogger})
      opened.providers.push(provider)
      await provider.connect()
      return {proxy, provider}
    }

    it('reconnects, consumes again and waits to publish: every message arrives, none is handled twice', async () => {
      const {proxy, provider} = await throughProxy('?reconnect_initial_delay_ms=50&reconnect_max_delay_ms=200')
      const queue = uniqueQueue('outage')
      const handled = new Map<string, number>()
      await provider.subscribe(queue, {subscription: 'outage', prefetch: 10}, async (delivery) => {
        handled.set(delivery.body, (handled.get(delivery.body) ?? 0) + 1)
        await sleep(2)
        return 'ack'
      })
      const total = 400
      const publishing = (async () => {
        for (let i = 0; i < total; i += 10) {
          await provider.publishBatch(Array.from({length: 10}, (_, k) => ({destination: queue, body: String(i + k)})))
          await sleep(5)
        }
      })()
      await until('some deliveries', () => handled.size >= 50)
      await proxy.cut()
      await sleep(700) // publishes wait meanwhile
      proxy.restore()
      await publishing
      await until(`${total} distinct deliveries`, () => handled.size >= total)
      await sleep(500)
      expect(proxy.connections).toBeGreaterThan(1)
      expect(handled.size).toBe(total)
      const twice = [...handled].filter(([, count]) => count > 1)
      expect(twice).toEqual([])
    })

    it('gives up past the reconnect deadline with QUEUE_BROKER_UNAVAILABLE, to listeners and publishers', async () => {
      const {proxy, provider} = await throughProxy('?reconnect_deadline_ms=800&reconnect_initial_delay_ms=50')
      const queue = uniqueQueue('deadline')
      await provider.subscribe(queue, {subscription: 'deadline', prefetch: 5}, async () => 'ack')
      const heard: Error[] = []
      provider.onUnavailable?.((error) => heard.push(error))
      await proxy.cut()
      const started = Date.now()
      const error = await provider.publish(queue, 'never').catch((caught: unknown) => caught)
      expect(error).toMatchObject({code: 'QUEUE_BROKER_UNAVAILABLE', exitCode: 4})
      expect(Date.now() - started).toBeLessThan(5000)
      await until('the failure listener', () => heard.length > 0)
      expect(heard[0]).toMatchObject({code: 'QUEUE_BROKER_UNAVAILABLE'})
      expect((heard[0] as Error).message).not.toContain('guest:guest')
    })
  })
}
