import {UserInputError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import type {MemoryQueueLimits} from './memory-message-queue.js'
import {MemoryQueueProvider} from './memory-queue-provider.js'
import {redactUrl as redact, takeReconnectPolicy} from './broker-url.js'
import {QUEUE_ERROR_CODES} from './queue-errors.js'
import {isTopic, type QueueProvider} from './types.js'

export interface CreateQueueProviderOptions {
  logger: Logger
}

const ACCEPTED_FORMS = [
  'memory://',
  'amqp://user:pass@host:5672[/vhost]',
  'amqps://…',
  'stomp://user:pass@host:61613',
  'pulsar://[:token@]host:8080[/tenant/namespace]',
  'pulsar+ssl://…:8443',
]

const PULSAR_SCHEMES = new Set(['pulsar:', 'pulsar+ws:', 'pulsar+ssl:', 'pulsar+wss:'])

/**
 * Builds the queue provider a URL names, unconnected (call `connect()`). Network providers are
 * imported lazily here so the memory path never loads a broker client.
 *
 * @throws UserInputError `QUEUE_URL_INVALID` when the URL is not one of the accepted forms.
 */
export async function createQueueProvider(url: string, options: CreateQueueProviderOptions): Promise<QueueProvider> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidUrl(url)
  }
  if (parsed.protocol === 'memory:') {
    return new MemoryQueueProvider({logger: options.logger.child({queue_provider: 'memory'}), limits: memoryLimits(parsed)})
  }
  if (parsed.protocol === 'amqp:' || parsed.protocol === 'amqps:') {
    const reconnect = takeReconnectPolicy(parsed)
    const {AmqpQueueProvider} = await import('./amqp-queue-provider.js')
    return new AmqpQueueProvider({url: parsed.href, reconnect, logger: options.logger.child({queue_provider: 'amqp'})})
  }
  if (parsed.protocol === 'stomp:' || parsed.protocol === 'stomp+ssl:') {
    const reconnect = takeReconnectPolicy(parsed)
    const scopedQueueExpiresMs = takeWholeNumber(parsed, 'queue_expires_ms', 1)
    const {StompQueueProvider} = await import('./stomp-queue-provider.js')
    return new StompQueueProvider({url: parsed.href, reconnect, scopedQueueExpiresMs, logger: options.logger.child({queue_provider: 'stomp'})})
  }
  if (PULSAR_SCHEMES.has(parsed.protocol)) {
    const reconnect = takeReconnectPolicy(parsed)
    const {PulsarQueueProvider} = await import('./pulsar-queue-provider.js')
    return new PulsarQueueProvider({url: parsed.href, reconnect, logger: options.logger.child({queue_provider: 'pulsar'})})
  }
  throw invalidUrl(redact(parsed))
}

/** Takes `name` off the URL: undefined when absent; a whole number ≥ `min` or `QUEUE_URL_INVALID`. */
function takeWholeNumber(url: URL, name: string, min: number): number | undefined {
  const raw = url.searchParams.get(name)
  if (raw === null) return undefined
  url.searchParams.delete(name)
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UserInputError(QUEUE_ERROR_CODES.urlInvalid, `${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`, {
      hint: `e.g. ${url.protocol}//host?${name}=600000`,
    })
  }
  return value
}

const MEMORY_PARAMS = {max_depth: 'maxDepth', max_chars: 'maxChars'} as const

/**
 * `memory://?max_depth=N&max_chars=N`: how much one in-process queue holds before its publishers
 * wait (defaults 2 000 messages, 64 Mi characters).
 */
function memoryLimits(url: URL): Partial<MemoryQueueLimits> {
  const limits: Partial<MemoryQueueLimits> = {}
  for (const [name, raw] of url.searchParams) {
    const key = (MEMORY_PARAMS as Record<string, keyof MemoryQueueLimits | undefined>)[name]
    const value = Number(raw)
    if (key === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new UserInputError(QUEUE_ERROR_CODES.urlInvalid,
        key === undefined ? `unknown memory:// parameter ${JSON.stringify(name)}` : `memory:// ${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`,
        {hint: 'memory:// takes max_depth (messages waiting per queue, default 2000) and max_chars (characters of waiting bodies, default 67108864), e.g. memory://?max_depth=1000'})
    }
    limits[key] = value
  }
  return limits
}

/**
 * Scopes a point-to-point destination to one execution (docs/reference/engine.md, "Execution scoping"):
 * `/queue/x` → `/queue/exec.<id>.x`, `x` → `exec.<id>.x`, `persistent://t/ns/x` →
 * `persistent://t/ns/exec.<id>.x`. Topics are returned unchanged. Idempotent: an already scoped
 * destination of the same execution is not prefixed twice.
 */
export function scopeDestination(destination: string, executionId: string): string {
  if (isTopic(destination)) return destination
  const cut = destination.lastIndexOf('/') + 1
  const name = destination.slice(cut)
  const prefix = `exec.${executionId}.`
  if (name.startsWith(prefix)) return destination
  return destination.slice(0, cut) + prefix + name
}

function invalidUrl(shown: string): UserInputError {
  return new UserInputError(QUEUE_ERROR_CODES.urlInvalid, `not a queue URL: ${shown}`, {
    hint: `use one of: ${ACCEPTED_FORMS.join(', ')}`,
    details: {accepted: ACCEPTED_FORMS},
  })
}
