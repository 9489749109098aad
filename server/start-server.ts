import {access} from 'node:fs/promises'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {serve} from '@hono/node-server'

import type {AdapterRegistry} from '../src/adapters/registry.js'
import {type AppSettings, maskUrl, networkPolicyOf} from '../src/config/app-settings.js'
import {factflowPackageDir} from '../src/config/factflow-version.js'
import type {Logger} from '../src/logging/logger.js'
import {createRuntime, type Runtime} from '../src/runtime/runtime.js'
import {createApp} from './app.js'
import type {EmbeddedInfrastructure} from './embedded-infrastructure.js'

export interface StartServerOptions {
  settings: AppSettings
  /**
   * Provision the database and broker: containers when a container runtime answers, else PGlite
   * under ./output/db and the in-process broker; storage under ./output/storage either way.
   */
  embedded: boolean
  /** With `embedded`: look for a container runtime first (default true). */
  containers?: boolean
  version: string
  /** Where start-up lines go (stderr for the command). */
  say: (line: string) => void
  /** SSE heartbeat interval (tests shorten it). */
  heartbeatMs?: number
}

export interface RunningServer {
  url: string
  runtime: Runtime
  /** Stops accepting requests, interrupts running executions (resumable), closes everything. */
  close(): Promise<void>
}

/**
 * `factflow serve`: the runtime (database open and migrated first), recovery of executions a dead
 * process left `running`, every shipped pipeline validated, then the HTTP app on its port.
 */
export async function startServer(options: StartServerOptions, deps: {logger: Logger; registry: AdapterRegistry}): Promise<RunningServer> {
  const {settings, say} = options
  const started = performance.now()
  let infrastructure: EmbeddedInfrastructure | undefined
  if (options.embedded) {
    const {provisionEmbedded} = await import('./embedded-infrastructure.js')
    infrastructure = await provisionEmbedded({say, containers: options.containers ?? true, amqpAvailable: await queueSchemeAvailable('amqp://localhost', deps.logger)})
    settings.database.url = infrastructure.databaseUrl
    settings.queue.url = infrastructure.queueUrl
    settings.storage.uri = infrastructure.storageUri
  }
  const runtime = await createRuntime({
    databaseUrl: settings.database.url, queueUrl: settings.queue.url, storageUri: settings.storage.uri,
    maxConcurrentExecutions: settings.limits.max_concurrent_executions, llmProfiles: settings.llm.profiles, databaseOpening: 'first',
    network: networkPolicyOf(settings), filesRoot: settings.files.root, pipelineEnv: settings.pipelines.env,
  }, deps).catch(async (error: unknown) => {
    await infrastructure?.stop()
    throw error
  })
  const {executions: repository} = await runtime.store()
  const interrupted = await repository.markRunningAsInterrupted()
  if (interrupted.length > 0) say(`recovered ${interrupted.length} execution(s) left running by a stopped process: now interrupted (POST /api/v1/executions/{id}/resume continues one)`)

  const {validatePipelineFiles} = await import('../src/config/validate-files.js')
  let pipelinesDir = path.resolve(settings.pipelines.dir)
  if (!await access(pipelinesDir).then(() => true, () => false) && settings.pipelines.dir === 'config/pipelines') {
    // Started outside a checkout: the pipelines shipped with the package.
    const shipped = factflowPackageDir()
    if (shipped !== undefined) pipelinesDir = path.join(shipped, 'config', 'pipelines')
  }
  if (await access(pipelinesDir).then(() => true, () => false)) {
    const summary = await validatePipelineFiles({
      paths: [pipelinesDir], registry: deps.registry, profiles: [...settings.llm.profiles.keys()], env: {},
    })
    say(`pipelines: ${summary.totals.valid} of ${summary.totals.files} in ${path.relative(process.cwd(), pipelinesDir) || '.'} valid`)
    for (const file of summary.files.filter((f) => !f.is_valid)) say(`  invalid: ${path.relative(process.cwd(), file.file)} (${file.error_count} error(s))`)
  }

  const {WebhookDispatcher} = await import('../src/webhooks/webhook-dispatcher.js')
  const webhookDispatcher = new WebhookDispatcher(runtime, {
    settings: settings.webhooks, network: networkPolicyOf(settings),
  })
  const app = createApp(runtime, {
    webRoot: webRootOf(),
    version: options.version, heartbeatMs: options.heartbeatMs, corsOrigins: settings.cors.origins, webhookDispatcher,
    auth: {required: settings.auth.required, userHeader: settings.auth.user_header, emailHeader: settings.auth.email_header ?? undefined, trustedProxies: settings.auth.trusted_proxies},
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({fetch: app.fetch, hostname: settings.server.host, port: settings.server.port}, () => resolve(s))
    s.once('error', reject)
  }).catch(async (error: NodeJS.ErrnoException) => {
    await webhookDispatcher.close()
    await runtime.close()
    await infrastructure?.stop()
    const {UnavailableError} = await import('../src/errors/index.js')
    throw new UnavailableError('SERVER_LISTEN_FAILED', `Cannot listen on ${settings.server.host}:${settings.server.port}: ${error.code ?? error.message}`, {
      retryable: false, hint: 'Choose another port with --port (or FACTFLOW_PORT), or stop what uses this one.',
    })
  })
  // Deliveries queued before a restart are due again now.
  webhookDispatcher.start()
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  say(`database: ${runtime.databaseLocation} · broker: ${maskUrl(settings.queue.url)} · storage: ${runtime.storage.uri}`)
  say(`listening on ${url} (web view ${url}/, API ${url}/api/v1, OpenAPI ${url}/openapi.json) — ready in ${Math.round(performance.now() - started)} ms`)

  let closing: Promise<void> | undefined
  return {
    url, runtime,
    close: () => closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await webhookDispatcher.close()
      await runtime.close()
      await infrastructure?.stop()
      // Open SSE streams end when their executions do; idle keep-alive sockets are closed here.
      ;(server as unknown as {closeAllConnections?: () => void}).closeAllConnections?.()
      await stopped
    })(),
  }
}

/** dist/web of the factflow package this code runs from (the browser app `npm run build` makes). */
function webRootOf(): string {
  const packageDir = factflowPackageDir() ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  return path.join(packageDir, 'dist', 'web')
}

/** Whether this build has the queue provider of `url`'s scheme (nothing is connected). */
async function queueSchemeAvailable(url: string, logger: Logger): Promise<boolean> {
  const {createQueueProvider} = await import('../src/queue/create-queue-provider.js')
  return createQueueProvider(url, {logger}).then(() => true, () => false)
}
