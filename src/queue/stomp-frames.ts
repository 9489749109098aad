import {destinationName, isTopic} from './types.js'

/**
 * A destination as a STOMP broker takes it: `/queue/x` and `/topic/x` as written, any other form
 * as `/queue/<its last segment>`; `type` is Artemis's routing type (`destination-type` header).
 */
export function stompDestination(destination: string): {destination: string; type: 'ANYCAST' | 'MULTICAST'} {
  if (isTopic(destination)) return {destination, type: 'MULTICAST'}
  if (destination.startsWith('/queue/')) return {destination, type: 'ANYCAST'}
  const name = destinationName(destination)
  return {destination: `/queue/${name.slice(name.lastIndexOf('/') + 1)}`, type: 'ANYCAST'}
}

/** Frame headers the protocol or a broker sets: not part of the message's own headers. */
const PROTOCOL_HEADERS = new Set([
  'destination', 'message-id', 'subscription', 'ack', 'redelivered', 'content-length', 'persistent', 'receipt',
  'destination-type', 'factflow-id', 'expires', 'x-expires', 'timestamp', 'x-delivery-count', 'activemq.prefetchSize',
])

/** A MESSAGE frame's headers as a delivery's headers, redelivered flag and count. */
export function stompHeadersIn(frameHeaders: Readonly<Record<string, string>>): {
  headers: Record<string, string>
  redelivered: boolean
  deliveryCount: number
} {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(frameHeaders)) if (!PROTOCOL_HEADERS.has(name)) headers[name] = value
  const count = Number(frameHeaders['x-delivery-count'])
  const redelivered = frameHeaders.redelivered === 'true' || (Number.isInteger(count) && count > 0)
  return {headers, redelivered, deliveryCount: Number.isInteger(count) && count >= 0 ? count + 1 : redelivered ? 2 : 1}
}
