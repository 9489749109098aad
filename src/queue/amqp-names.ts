import {createHash} from 'node:crypto'

import {destinationName} from './types.js'

const MAX_BYTES = 255

/**
 * AMQP 0-9-1 names (docs/reference/pipeline.md, provider `rabbitmq`): `/queue/x` and `x` are the queue `x`;
 * `/topic/x` is the fanout exchange `x`. Names are at most 255 bytes and `amq.` is reserved to the
 * broker: a longer name keeps its head and ends in a hash of the whole, and a reserved one gets a
 * `_` in front, so any destination maps to one legal name and two destinations never share one.
 */
export function amqpName(destination: string): string {
  let name = destinationName(destination)
  if (name.length === 0) name = '_'
  if (name.startsWith('amq.')) name = `_${name}`
  if (Buffer.byteLength(name) <= MAX_BYTES) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16)
  let head = name.slice(0, MAX_BYTES - 17)
  while (Buffer.byteLength(head) > MAX_BYTES - 17) head = head.slice(0, -1)
  return `${head}.${hash}`
}

/**
 * The queue a topic subscription reads: one per subscription name (consumers sharing the name
 * compete), non-durable and deleted with its last consumer, as on the in-process broker.
 */
export function amqpTopicQueue(destination: string, subscription: string): string {
  return amqpName(`${amqpName(destination)}.sub.${subscription}`)
}
