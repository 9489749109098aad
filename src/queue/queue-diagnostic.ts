import {randomUUID} from 'node:crypto'

import {describeError, isFactflowError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import {createQueueProvider} from './create-queue-provider.js'
import type {QueueProvider, Subscription} from './types.js'

export interface QueueDiagnosticStep {
  step: 'connect' | 'subscribe' | 'publish' | 'consume' | 'clean-up'
  ok: boolean
  ms: number
  error?: string
  code?: string
}

export interface QueueDiagnosticReport {
  ok: boolean
  provider: string
  /** The broker URL without its password. */
  url: string
  queue: string
  steps: QueueDiagnosticStep[]
  total_ms: number
}

export interface QueueDiagnosticOptions {
  queueUrl: string
  logger: Logger
  /** How long to wait for the test message to come back, ms. Default 5000. */
  timeoutMs?: number
}

/**
 * `factflow system mq-diagnostic --queue URL`: connects to the broker, subscribes to a fresh
 * queue, publishes one test message, waits for it, and deletes the queue, timing each step. Stops
 * at the first failing step; the report says which and why (the URL is shown without password).
 *
 * @throws UserInputError `QUEUE_URL_INVALID` for a URL that names no provider (nothing to diagnose).
 */
export async function runQueueDiagnostic(options: QueueDiagnosticOptions): Promise<QueueDiagnosticReport> {
  const provider = await createQueueProvider(options.queueUrl, {logger: options.logger})
  const queue = `/queue/factflow.diagnostic.${randomUUID()}`
  const body = JSON.stringify({probe: randomUUID()})
  const steps: QueueDiagnosticStep[] = []
  const started = performance.now()
  let received!: () => void
  const arrived = new Promise<void>((resolve) => { received = resolve })
  const step = async (name: QueueDiagnosticStep['step'], work: () => Promise<unknown>): Promise<boolean> => {
    const at = performance.now()
    try {
      await work()
      steps.push({step: name, ok: true, ms: round(performance.now() - at)})
      return true
    } catch (error) {
      steps.push({step: name, ok: false, ms: round(performance.now() - at), error: describeError(error), ...(isFactflowError(error) ? {code: error.code} : {})})
      return false
    }
  }
  const timeoutMs = options.timeoutMs ?? 5000
  let subscription: Subscription | undefined
  const ok = await step('connect', () => provider.connect())
    && await step('subscribe', async () => {
      subscription = await provider.subscribe(queue, {subscription: 'diagnostic', prefetch: 1}, async (delivery) => {
        if (delivery.body === body) received()
        return 'ack'
      })
    })
    && await step('publish', () => provider.publish(queue, body))
    && await step('consume', () => withTimeout(arrived, timeoutMs, `the test message did not come back within ${timeoutMs} ms`))
    // Consumers first: Pulsar refuses to drop a subscription that still has one.
    && await step('clean-up', async () => {
      await subscription?.close()
      await provider.deleteQueue(queue)
    })
  await close(provider)
  return {ok, provider: provider.kind, url: shown(options.queueUrl), queue, steps, total_ms: round(performance.now() - started)}
}

async function close(provider: QueueProvider): Promise<void> {
  await withTimeout(provider.close(), 5000, 'close timed out').catch(() => undefined)
}

function withTimeout(promise: Promise<unknown>, ms: number, message: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms) })]).finally(() => clearTimeout(timer))
}

function shown(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.href
  } catch {
    return url
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
