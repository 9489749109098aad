import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {AMQP_URL, serviceAvailable} from '../helpers/services.js'

const available = await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)

queueProviderContract('amqp', () => createQueueProvider(AMQP_URL, {logger: silentLogger}), {skip: !available, exactDeliveryCount: false})
