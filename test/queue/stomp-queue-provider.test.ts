import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {serviceAvailable, STOMP_URL} from '../helpers/services.js'

const available = await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)

queueProviderContract('stomp', () => createQueueProvider(STOMP_URL, {logger: silentLogger}), {skip: !available, exactDeliveryCount: false})
