import {afterAll} from 'vitest'

import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import {queueProviderContract} from '../contracts/queue-provider.contract.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'

// The local WebSocket-protocol fake unless FACTFLOW_TEST_PULSAR_URL names a real Pulsar.
const broker = await pulsarTestBroker()
afterAll(() => broker.close())

queueProviderContract('pulsar', () => createQueueProvider(broker.url, {logger: silentLogger}), {skip: !broker.available})
