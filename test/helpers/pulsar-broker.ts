import {serviceAvailable} from './services.js'
import {startPulsarWebSocketServer, type PulsarWebSocketServer} from './pulsar-websocket-server.js'

export interface PulsarTestBroker {
  /** `pulsar://…` of the broker the tests use. */
  url: string
  /** The local protocol fake, unless `FACTFLOW_TEST_PULSAR_URL` names a real broker. */
  fake: PulsarWebSocketServer | undefined
  available: boolean
  close(): Promise<void>
}

/**
 * The Pulsar the tests talk to: a real broker's WebSocket service when `FACTFLOW_TEST_PULSAR_URL`
 * is set (e.g. `pulsar://127.0.0.1:8080`, skipped with a notice when it does not answer, failed
 * under CI), otherwise the protocol fake in `pulsar-websocket-server.ts` (no Pulsar exists on
 * these machines).
 */
export async function pulsarTestBroker(): Promise<PulsarTestBroker> {
  const real = process.env.FACTFLOW_TEST_PULSAR_URL
  if (real !== undefined && real !== '') {
    const probe = new URL(real)
    probe.port ||= probe.protocol === 'pulsar+ssl:' ? '8443' : '8080'
    return {url: real, fake: undefined, available: await serviceAvailable('Pulsar (WebSocket service)', probe.href), close: async () => undefined}
  }
  const fake = await startPulsarWebSocketServer()
  return {url: fake.url, fake, available: true, close: () => fake.close()}
}
