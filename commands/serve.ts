import {BaseCommand} from '../src/cli/base-command.js'
import {Flags} from '../src/cli/oclif.js'

export default class Serve extends BaseCommand {
  static override summary = 'Start the factflow server (HTTP API with Server-Sent Events, and the web view at /)'
  static override description = `Starts one runtime for many executions and serves the API of docs/reference/server.md under /api/v1 (OpenAPI document at /openapi.json) and the web view (built by npm run build into dist/web) at /. Settings come from ./factflow.yaml (or --config FILE, or FACTFLOW_SETTINGS) and FACTFLOW_* environment variables; config/factflow.example.yaml lists every key.

--embedded needs no setup: where a container runtime answers (Docker, Podman, DOCKER_HOST) it starts PostgreSQL + pgvector and RabbitMQ in containers and stops them on exit; with none it uses PGlite (+ pgvector) under ./output/db, the in-process broker and ./output/storage. SIGINT/SIGTERM stop gracefully: running executions become "interrupted" and can be resumed after a restart.`
  static override examples = [
    '<%= config.bin %> serve --embedded',
    '<%= config.bin %> serve --config factflow.yaml --port 9000',
    '<%= config.bin %> serve --print-settings',
  ]
  static override flags = {
    embedded: Flags.boolean({description: 'Provision the database and broker: containers when a container runtime answers, else PGlite, the in-process broker and ./output/storage'}),
    containers: Flags.boolean({allowNo: true, default: true, description: 'With --embedded: look for a container runtime first (--no-containers: always PGlite and the in-process broker)'}),
    port: Flags.integer({description: 'Port (default 8000, or server.port / FACTFLOW_PORT)', min: 0, max: 65535}),
    host: Flags.string({description: 'Address to listen on (default 127.0.0.1; 0.0.0.0 only when asked)'}),
    config: Flags.string({description: 'Settings file (default ./factflow.yaml when it exists)'}),
    'print-settings': Flags.boolean({description: 'Print the effective settings (secrets masked) as JSON and exit'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const {loadAppSettings, maskedSettings} = await import('../src/config/app-settings.js')
    const settings = await loadAppSettings({file: flags.config})
    if (flags.port !== undefined) settings.server.port = flags.port
    if (flags.host !== undefined) settings.server.host = flags.host
    if (flags.embedded) {
      // Embedded mode provisions its own parts (startServer): settings that name real services are
      // not used. What --print-settings shows is the fallback without containers.
      settings.database.url = './output/db'
      settings.queue.url = 'memory://'
      settings.storage.uri = 'file://./output/storage'
    }
    if (flags['print-settings']) {
      this.log(JSON.stringify(maskedSettings(settings), null, 2))
      return
    }
    const [{startServer}, {builtinAdapterRegistry}, {createPinoLogger}, {factflowVersion}] = await Promise.all([
      import('../server/start-server.js'), import('../src/adapters/registry.js'), import('../src/logging/pino-logger.js'),
      import('../src/config/factflow-version.js'),
    ])
    const logger = createPinoLogger({level: process.env.FACTFLOW_LOG_LEVEL ?? 'warn'})
    const say = (line: string) => process.stderr.write(`factflow serve: ${line}\n`)
    const server = await startServer({settings, embedded: flags.embedded, containers: flags.containers, version: factflowVersion() ?? '0.0.0', say}, {logger, registry: builtinAdapterRegistry()})
    await new Promise<void>((resolve) => {
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) {
          say('stopping at once')
          process.exit(130)
        }
        stopping = true
        say(`${signal}: stopping (running executions become interrupted; a second signal stops at once)`)
        void server.close().then(resolve)
      }
      process.on('SIGINT', () => stop('SIGINT'))
      process.on('SIGTERM', () => stop('SIGTERM'))
    })
    say('stopped')
  }
}
