import {createHash} from 'node:crypto'

import {mayHaveContainerRuntime} from './container-runtime-hint.js'

/** What `serve --embedded` runs on: containers it started, or the in-process parts. */
export interface EmbeddedInfrastructure {
  databaseUrl: string
  queueUrl: string
  storageUri: string
  /** One line for the start-up banner: what was provisioned and where data lives. */
  description: string
  /** Stops the containers it started (nothing for the in-process parts). Idempotent. */
  stop(): Promise<void>
}

export interface ProvisionOptions {
  say: (line: string) => void
  /** Look for a container runtime (false: the in-process parts at once). */
  containers: boolean
  /** Whether the runtime can use an AMQP broker (`amqp://`); without it the broker stays in-process. */
  amqpAvailable: boolean
  /** Working directory whose data the containers keep (named volumes per directory). */
  cwd?: string
}

const IN_PROCESS = {
  databaseUrl: './output/db',
  queueUrl: 'memory://',
  storageUri: 'file://./output/storage',
}

/**
 * `factflow serve --embedded` (docs/reference/server.md "Embedded mode"): asks testcontainers for a container
 * runtime (Docker, Podman, DOCKER_HOST, Testcontainers Cloud …; it fails fast when there is none) and,
 * with one, starts PostgreSQL + pgvector and RabbitMQ in containers, stopped when the server stops;
 * the database keeps its data in a Docker volume named after the working directory, so a restart
 * finds its configs and executions again. Without a container runtime (or when a container does
 * not start) it says so in one line and uses PGlite under ./output/db, the in-process broker and
 * ./output/storage. Storage is a folder either way.
 */
export async function provisionEmbedded(options: ProvisionOptions): Promise<EmbeddedInfrastructure> {
  const {say} = options
  const inProcess = (why: string): EmbeddedInfrastructure => {
    say(`embedded: ${why}; using PGlite under ./output/db, the in-process broker and ./output/storage`)
    return {...IN_PROCESS, description: 'PGlite under ./output/db, in-process broker, ./output/storage', stop: async () => {}}
  }
  if (!options.containers) return inProcess('containers not wanted (--no-containers)')
  const started = performance.now()
  if (!mayHaveContainerRuntime()) return inProcess(`no container runtime found (probed in ${Math.round(performance.now() - started)} ms)`)
  const testcontainers = await import('testcontainers')
  try {
    await testcontainers.getContainerRuntimeClient()
  } catch {
    return inProcess(`no container runtime found (probed in ${Math.round(performance.now() - started)} ms)`)
  }

  const {GenericContainer, Wait} = testcontainers
  const volume = `factflow-${createHash('sha256').update(options.cwd ?? process.cwd()).digest('hex').slice(0, 12)}-pgdata`
  const containers: Array<{stop(): Promise<unknown>}> = []
  const stopAll = async () => {
    await Promise.all(containers.splice(0).map((container) => container.stop().catch(() => undefined)))
  }
  try {
    say('embedded: a container runtime answers; starting PostgreSQL + pgvector' + (options.amqpAvailable ? ' and RabbitMQ' : '') + ' in containers')
    const postgres = await new GenericContainer('pgvector/pgvector:pg16')
      .withEnvironment({POSTGRES_USER: 'factflow', POSTGRES_PASSWORD: 'factflow', POSTGRES_DB: 'factflow'})
      .withExposedPorts(5432)
      // A named volume (Docker takes a bind source without a slash as a volume name).
      .withBindMounts([{source: volume, target: '/var/lib/postgresql/data', mode: 'rw'}])
      .withWaitStrategy(Wait.forAll([Wait.forListeningPorts(), Wait.forLogMessage(/database system is ready to accept connections/)]))
      .start()
    containers.push(postgres)
    const databaseUrl = `postgres://factflow:factflow@${postgres.getHost()}:${postgres.getMappedPort(5432)}/factflow`
    let queueUrl = IN_PROCESS.queueUrl
    if (options.amqpAvailable) {
      const rabbit = await new GenericContainer('rabbitmq:3.13-alpine')
        .withExposedPorts(5672)
        .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
        .start()
      containers.push(rabbit)
      queueUrl = `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`
    }
    return {
      databaseUrl, queueUrl, storageUri: IN_PROCESS.storageUri,
      description: `PostgreSQL + pgvector in a container (volume ${volume}), ${options.amqpAvailable ? 'RabbitMQ in a container' : 'in-process broker'}, ./output/storage`,
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    return inProcess(`containers did not start (${(error as Error).message.split('\n')[0]})`)
  }
}
