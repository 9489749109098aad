import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider, scopeDestination} from '../../src/queue/create-queue-provider.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'

const available = await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)

queueProviderContract('stomp', () => createQueueProvider(STOMP_URL, {logger: silentLogger}), {
  skip: !available,
  exactDeliveryCount: false,
  // STOMP cannot delete a queue; on RabbitMQ, STOMP's `/queue/x` is AMQP's queue `x`.
  makeCleaner: () => createQueueProvider(AMQP_URL, {logger: silentLogger}),
})

/** Whether RabbitMQ has the queue (asked over AMQP: STOMP cannot tell). */
async function queueExists(name: string): Promise<boolean> {
  const amqplib = await import('amqplib')
  const connection = await amqplib.connect(AMQP_URL)
  try {
    const channel = await connection.createChannel()
    channel.on('error', () => undefined)
    return await channel.checkQueue(name).then(() => true, () => false)
  } finally {
    await connection.close().catch(() => undefined)
  }
}

describe.skipIf(!available)('stomp provider on RabbitMQ: queue_expires_ms', () => {
  it('lets RabbitMQ delete an execution\'s queues once unused, and never a queue outside an execution', async () => {
    const scoped = scopeDestination(`/queue/expiry.${randomUUID()}`, randomUUID())
    const shared = `/queue/expiry.${randomUUID()}.dlq`
    const provider = await createQueueProvider(`${STOMP_URL}?queue_expires_ms=1000`, {logger: silentLogger})
    await provider.connect()
    const received: string[] = []
    try {
      await provider.publish(scoped, 'before') // declared by the SEND, then by the SUBSCRIBE: same arguments
      await provider.subscribe(scoped, {subscription: 'x', prefetch: 1}, async (delivery) => {
        received.push(delivery.body)
        return 'ack'
      })
      await provider.publish(shared, 'kept')
      while (received.length < 1) await sleep(10)
      expect(received).toEqual(['before'])
    } finally {
      await provider.close()
    }
    expect(await queueExists(scoped.slice('/queue/'.length))).toBe(true)
    // Checked less often than it expires: a passive declare counts as using the queue.
    let gone = false
    for (let attempt = 0; attempt < 4 && !gone; attempt++) {
      await sleep(2500)
      gone = !(await queueExists(scoped.slice('/queue/'.length)))
    }
    expect(gone).toBe(true)
    expect(await queueExists(shared.slice('/queue/'.length))).toBe(true)
    const cleaner = await createQueueProvider(AMQP_URL, {logger: silentLogger})
    await cleaner.connect()
    await cleaner.deleteQueue(shared)
    await cleaner.close()
  })

  it('refuses a queue_expires_ms that is not a whole number of ms', async () => {
    await expect(createQueueProvider(`${STOMP_URL}?queue_expires_ms=soon`, {logger: silentLogger})).rejects.toMatchObject({code: 'QUEUE_URL_INVALID'})
  })
})
