/**
 * Destination naming per queue provider (docs/reference/pipeline.md, "Queue naming per provider"). Used by the
 * validator (E201, E109, E202) so that a pipeline written for one provider validates against it.
 */
export const QUEUE_PROVIDERS = ['artemis', 'rabbitmq', 'pulsar', 'memory'] as const
export type QueueProviderName = (typeof QUEUE_PROVIDERS)[number]
export const DEFAULT_QUEUE_PROVIDER: QueueProviderName = 'artemis'

export function isQueueProvider(name: string): name is QueueProviderName {
  return (QUEUE_PROVIDERS as readonly string[]).includes(name)
}

export interface ParsedDestination {
  ok: true
  /** Topics are shared by every reader (publish/subscribe); queues have competing consumers. */
  kind: 'queue' | 'topic'
  /** Identity for matching a route's outbound destination to another route's inbound one. */
  key: string
}

export interface InvalidDestination {
  ok: false
  reason: string
  suggestion: string
}

const NAME = /^[A-Za-z0-9_.:-]+$/
const STOMP = /^\/(queue|topic)\/([A-Za-z0-9_.:-]+)$/
const PULSAR = /^(persistent|non-persistent):\/\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.:-]+$/
const MAX_LENGTH = 255

/** Parses a destination name under a provider's rules; never throws. */
export function parseDestination(name: string, provider: QueueProviderName): ParsedDestination | InvalidDestination {
  if (name.length > MAX_LENGTH) {
    return {ok: false, reason: `is longer than ${MAX_LENGTH} characters`, suggestion: 'use a shorter name'}
  }
  const stomp = STOMP.exec(name)
  const bare = basename(name)
  switch (provider) {
    case 'artemis':
      if (stomp) return {ok: true, kind: stomp[1] as 'queue' | 'topic', key: name}
      return {
        ok: false,
        reason: 'is not a destination for provider artemis (STOMP): `/queue/<name>` or `/topic/<name>`',
        suggestion: `use \`/queue/${bare}\`, or \`/topic/${bare}\` for publish/subscribe`,
      }
    case 'rabbitmq':
      if (stomp) return {ok: true, kind: stomp[1] as 'queue' | 'topic', key: stomp[1] === 'topic' ? `/topic/${stomp[2]}` : stomp[2]!}
      if (NAME.test(name)) {
        if (name.startsWith('amq.')) return {ok: false, reason: 'starts with `amq.`, which provider rabbitmq reserves', suggestion: `use \`${name.slice(4) || 'queue'}\``}
        return {ok: true, kind: 'queue', key: name}
      }
      return {ok: false, reason: 'is not a queue name for provider rabbitmq: letters, digits and `_ . : -` only, or `/queue/<name>`', suggestion: `use \`${bare}\``}
    case 'pulsar':
      // `/queue/x` is the short name `x` (as on rabbitmq), so a pipeline runs unchanged on every broker.
      if (stomp) return {ok: true, kind: stomp[1] as 'queue' | 'topic', key: stomp[1] === 'topic' ? `/topic/${stomp[2]}` : stomp[2]!}
      if (PULSAR.test(name) || NAME.test(name)) return {ok: true, kind: 'queue', key: name}
      return {
        ok: false,
        reason: 'is not a topic for provider pulsar: `persistent://<tenant>/<namespace>/<topic>`, a short name, or `/queue/<name>`, `/topic/<name>`',
        suggestion: `use \`${bare}\` or \`persistent://public/default/${bare}\``,
      }
    case 'memory':
      if (stomp) return {ok: true, kind: stomp[1] as 'queue' | 'topic', key: name}
      if (PULSAR.test(name) || NAME.test(name)) return {ok: true, kind: 'queue', key: name}
      return {
        ok: false,
        reason: 'is not a destination for provider memory: `/queue/<name>`, `/topic/<name>`, `<name>` or `persistent://…`',
        suggestion: `use \`/queue/${bare}\``,
      }
  }
}

/** An example destination in the provider's form, for suggestions ("add `dead_letter_queue: …`"). */
export function exampleDestination(provider: QueueProviderName, name: string): string {
  return provider === 'rabbitmq' || provider === 'pulsar' ? name : `/queue/${name}`
}

function basename(name: string): string {
  const last = name.split(/[/\\]/).filter(Boolean).pop() ?? 'name'
  const cleaned = last.replace(/[^A-Za-z0-9_.:-]+/g, '_').replace(/^amq\./, '')
  return cleaned.length > 0 && cleaned.length <= 64 ? cleaned : 'name'
}

/** Whose naming rules a broker URL's queues follow (`amqp://` → rabbitmq, `stomp://` → artemis, …). */
export function providerOfQueueUrl(queueUrl: string): QueueProviderName {
  const scheme = queueUrl.split(':')[0]
  if (scheme === 'amqp' || scheme === 'amqps') return 'rabbitmq'
  if (scheme === 'stomp' || scheme === 'stomp+ssl') return 'artemis'
  if (scheme?.startsWith('pulsar')) return 'pulsar'
  return 'memory'
}
