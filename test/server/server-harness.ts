import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import {createRuntime, type Runtime} from '../../src/runtime/runtime.js'
import {type App, createApp} from '../../server/app.js'
import {silentLogger} from '../../src/logging/logger.js'
import {DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings} from '../../src/config/app-settings.js'
import type {NetworkPolicy} from '../../src/network/address-policy.js'
import {WebhookDispatcher} from '../../src/webhooks/webhook-dispatcher.js'

export interface TestServer {
  app: App
  runtime: Runtime
  work: string
  webhooks: WebhookDispatcher
  /** JSON request through the app without a socket. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{status: number; body: any}>
  close(): Promise<void>
}

/** An app over a fresh runtime: the given database (default in-memory PGlite), the memory broker, file storage in a temp folder. */
export async function startTestServer(options: {
  databaseUrl?: string
  maxConcurrentExecutions?: number
  /** Webhook settings (default: the spec's schedule, private targets refused); the dispatcher polls only when `start` is true. */
  webhooks?: {settings?: Partial<WebhookSettings>; network?: Partial<NetworkPolicy>; start?: boolean}
  /** `pipelines.env`: the variables posted configs may read (default: all, as before the setting existed). */
  pipelineEnv?: string[]
} = {}): Promise<TestServer> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-server-'))
  const runtime = await createRuntime({
    databaseUrl: options.databaseUrl ?? 'memory://', queueUrl: 'memory://', storageUri: `file://${work}/storage`,
    maxConcurrentExecutions: options.maxConcurrentExecutions ?? 8, databaseOpening: 'first', llmProfiles: resolveProfiles(undefined, {}),
    // Test files live in temporary folders.
    filesRoot: os.tmpdir(), pipelineEnv: options.pipelineEnv,
  }, {logger: silentLogger, registry: builtinAdapterRegistry()})
  const webhooks = new WebhookDispatcher(runtime, {
    settings: {...DEFAULT_WEBHOOK_SETTINGS, ...options.webhooks?.settings},
    network: {allowPrivate: false, allowLinkLocal: false, ...options.webhooks?.network},
  })
  if (options.webhooks?.start) webhooks.start()
  const app = createApp(runtime, {version: 'test', heartbeatMs: 200, webhookDispatcher: webhooks})
  return {
    app, runtime, work, webhooks,
    async call(method, url, body, headers = {}) {
      const response = await app.request(url, {
        method, headers: {'content-type': 'application/json', ...headers},
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      })
      const text = await response.text()
      let parsed: unknown = text
      try { parsed = text === '' ? null : JSON.parse(text) } catch { /* not JSON */ }
      return {status: response.status, body: parsed}
    },
    async close() {
      await webhooks.close()
      await runtime.close()
      await rm(work, {recursive: true, force: true})
    },
  }
}

/** A pipeline of the test adapters: `fan_out` makes `count` messages, `delay` holds each `ms`. */
export function testPipelineYaml(options: {name?: string; count?: number; delayMs?: number} = {}): string {
  return `version: "1.0"
name: ${options.name ?? 'server-test'}
routes:
  source:
    inbound: {queue: /queue/source}
    adapters:
      - type: fan_out
        config: {count: ${options.count ?? 5}, field: n}
    outbound: [{queue: /queue/work}]
  work:
    inbound: {queue: /queue/work, concurrency: 2}
    adapters:
      - type: delay
        config: {ms: ${options.delayMs ?? 1}}
init_message: {route: source, payload: {}}
`
}
