import {UserInputError} from '../errors/index.js'
import {QUEUE_ERROR_CODES} from './queue-errors.js'
import {isTopic} from './types.js'

/** Where the provider speaks Pulsar's WebSocket API, from a `pulsar://` URL. */
export interface PulsarEndpoint {
  /** `ws://host:port` or `wss://host:port`. */
  base: string
  tenant: string
  namespace: string
  /** A JWT for `Authorization: Bearer` (the URL's password), if any. */
  token: string | undefined
}

/** A destination as Pulsar names it, and how factflow subscribes to it. */
export interface PulsarTopic {
  /** `persistent://tenant/namespace/name`. */
  name: string
  /** The URL path segment after `/ws/v2/producer/` (each part encoded). */
  path: string
  /** `queue`: one shared subscription that every consumer competes on; `topic`: one per subscription name. */
  kind: 'queue' | 'topic'
}

/**
 * The subscription every consumer of a queue shares (Shared type), whatever its own subscription
 * name: a queue delivers each message to one consumer (docs/reference/engine.md).
 */
export const QUEUE_SUBSCRIPTION = 'factflow'

const WEBSOCKET_SCHEMES: Record<string, 'ws' | 'wss'> = {'pulsar:': 'ws', 'pulsar+ws:': 'ws', 'pulsar+ssl:': 'wss', 'pulsar+wss:': 'wss'}
const BINARY_PORTS = new Set(['6650', '6651'])
const NAME_PART = /^[A-Za-z0-9_.=:-]+$/

/**
 * `pulsar://[:token@]host[:port][/tenant/namespace]` → the WebSocket service. The provider speaks
 * the WebSocket API on the broker's web service port (8080, or 8443 for `pulsar+ssl://`), not the
 * binary protocol on 6650/6651 (`pulsar-client` cannot be installed here). Tenant and namespace
 * default to `public/default`; short names and `/queue/x`, `/topic/x` live there.
 *
 * @throws UserInputError `QUEUE_URL_INVALID` for the binary protocol's port, a bad path, or a
 *   parameter the provider does not take.
 */
export function pulsarEndpoint(url: URL): PulsarEndpoint {
  const scheme = WEBSOCKET_SCHEMES[url.protocol]
  if (scheme === undefined) throw invalid(`not a pulsar URL: ${url.protocol}`, 'use pulsar://host:8080[/tenant/namespace]')
  if (BINARY_PORTS.has(url.port)) {
    throw invalid(`port ${url.port} is Pulsar's binary protocol; factflow speaks Pulsar's WebSocket API on the web service port`,
      `use ${url.protocol}//${url.hostname}:${scheme === 'wss' ? 8443 : 8080} (the broker's webServicePort, with webSocketServiceEnabled=true)`)
  }
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length !== 0 && parts.length !== 2 || !parts.every((part) => NAME_PART.test(part))) {
    throw invalid(`a pulsar URL's path is /<tenant>/<namespace>, got ${JSON.stringify(url.pathname)}`, 'e.g. pulsar://host:8080/public/default')
  }
  const unknown = [...url.searchParams.keys()]
  if (unknown.length > 0) throw invalid(`unknown pulsar:// parameter ${JSON.stringify(unknown[0])}`, 'pulsar:// takes reconnect_deadline_ms, reconnect_initial_delay_ms and reconnect_max_delay_ms')
  const port = url.port || (scheme === 'wss' ? '8443' : '8080')
  const host = url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname
  return {
    base: `${scheme}://${host}:${port}`,
    tenant: parts[0] ?? 'public',
    namespace: parts[1] ?? 'default',
    token: url.password ? decodeURIComponent(url.password) : undefined,
  }
}

/**
 * A factflow destination as a Pulsar topic (docs/reference/pipeline.md, provider `pulsar`):
 * `persistent://t/ns/x` and `non-persistent://t/ns/x` as written; `/queue/x`, `/topic/x` and a
 * short `x` as `persistent://<tenant>/<namespace>/x` of the URL. `/topic/…` is read with one
 * subscription per subscription name; every other form is a queue.
 */
export function pulsarTopic(destination: string, endpoint: PulsarEndpoint): PulsarTopic {
  const full = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(destination)
  const [domain, tenant, namespace, local] = full
    ? [full[1]!, full[2]!, full[3]!, full[4]!]
    : ['persistent', endpoint.tenant, endpoint.namespace, destination.replace(/^\/(queue|topic)\//, '')]
  return {
    name: `${domain}://${tenant}/${namespace}/${local}`,
    path: [domain, tenant, namespace, local].map((part) => encodeURIComponent(part)).join('/'),
    kind: isTopic(destination) ? 'topic' : 'queue',
  }
}

function invalid(message: string, hint: string): UserInputError {
  return new UserInputError(QUEUE_ERROR_CODES.urlInvalid, message, {hint})
}
