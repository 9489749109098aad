import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'

const available = await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)

queueProviderContract('stomp', () => createQueueProvider(STOMP_URL, {logger: silentLogger}), {
  skip: !available,
  exactDeliveryCount: false,
  // STOMP cannot delete a queue; on RabbitMQ, STOMP's `/queue/x` is AMQP's queue `x`.
  makeCleaner: () => createQueueProvider(AMQP_URL, {logger: silentLogger}),
})
