import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import type {Delivery} from '../../src/queue/types.js'
import {uniqueQueue} from '../contracts/queue-provider.contract.js'
import {PROJECT_ROOT} from '../helpers/cli.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'

const pulsar = await pulsarTestBroker()
const brokers = [
  {name: 'amqp', url: AMQP_URL, available: await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)},
  {name: 'stomp', url: STOMP_URL, available: await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)},
  // The local Pulsar WebSocket-protocol fake (or FACTFLOW_TEST_PULSAR_URL's broker).
  {name: 'pulsar', url: pulsar.url, available: pulsar.available},
]
afterAll(() => pulsar.close())

/** A second process: consumes `queue` with handlers that never settle, reports each body on stdout. */
const CHILD = `
const {createQueueProvider} = await import(process.env.PROVIDER_MODULE)
const provider = await createQueueProvider(process.env.QUEUE_URL, {logger: {debug() {}, info() {}, warn() {}, error() {}, child() { return this }}})
await provider.connect()
await provider.subscribe(process.env.QUEUE, {subscription: 'workers', prefetch: 5}, (delivery) => {
  process.stdout.write(delivery.body + '\\n')
  return new Promise(() => {})
})
process.stdout.write('ready\\n')
`

for (const broker of brokers) {
  describe.skipIf(!broker.available)(`${broker.name}: two processes on one queue`, () => {
    it('redelivers the unacked messages of a killed process to the other', async () => {
      const queue = uniqueQueue('killed')
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
        cwd: PROJECT_ROOT,
        env: {...process.env, QUEUE_URL: broker.url, QUEUE: queue, PROVIDER_MODULE: new URL('../../dist/src/queue/create-queue-provider.js', import.meta.url).href},
      })
      const exited = new Promise((resolve) => child.on('close', resolve))
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const deadline = Date.now() + 30_000
      while (!out.includes('ready')) {
        if (Date.now() > deadline) throw new Error(`the child did not start: ${stderr}`)
        await sleep(20)
      }
      const provider = await createQueueProvider(broker.url, {logger: silentLogger})
      await provider.connect()
      try {
        await provider.publishBatch(['k0', 'k1', 'k2', 'k3', 'k4'].map((body) => ({destination: queue, body})))
        while (out.split('\n').filter((line) => line.startsWith('k')).length < 5) {
          if (Date.now() > deadline) throw new Error(`the child did not take the messages: ${out}`)
          await sleep(20)
        }
        child.kill('SIGKILL')
        await exited
        const received: Delivery[] = []
        await provider.subscribe(queue, {subscription: 'workers', prefetch: 10}, async (delivery) => {
          received.push(delivery)
          return 'ack'
        })
        while (received.length < 5) {
          if (Date.now() > deadline) throw new Error(`only ${received.length} redeliveries`)
          await sleep(20)
        }
        expect(received.map((d) => d.body).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4'])
        expect(received.every((d) => d.redelivered)).toBe(true)
      } finally {
        child.kill('SIGKILL')
        await provider.deleteQueue(queue).catch(() => undefined)
        await provider.close()
      }
    }, 60_000)
  })
}
