import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import pg from 'pg'
import {from as copyFromStdin} from 'pg-copy-streams'
import type {Logger} from '../logging/logger.js'
import {silentLogger} from '../logging/logger.js'
import {copyStatement} from './copy-statement.js'
import {databaseUnreachable, isConnectionError, redactUrl} from './database-errors.js'
import type {CopyTarget, Database, DatabaseTransaction, QueryResult} from './types.js'

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/db`. */
  url: string
  /** Connections in the pool (default 10). Give the lineage writer a database of its own with 1–2. */
  poolSize?: number
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number
  logger?: Logger
}

/** PostgreSQL through a node-postgres pool. Errors that mean "unreachable" become `DATABASE_UNREACHABLE`. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const
  readonly location: string
  private readonly pool: pg.Pool

  constructor(options: PostgresDatabaseOptions) {
    this.location = redactUrl(options.url)
    const logger = options.logger ?? silentLogger
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      // Detects a silently dead server (half-open TCP) instead of waiting forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    })
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', (error) => {
      logger.warn({err: error.message, database: this.location}, 'idle database connection lost')
    })
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    try {
      return toQueryResult<R>(await this.pool.query(sql, params))
    } catch (error) {
      throw this.translate(error)
    }
  }

  async copyFrom(target: CopyTarget, data: string | Uint8Array): Promise<number> {
    const {client, release} = await this.checkOut()
    try {
      const copied = await copyOn(client, target, data)
      release()
      return copied
    } catch (error) {
      // A failed COPY can leave the protocol mid-stream: never hand this connection out again.
      release(error)
      throw this.translate(error)
    }
  }

  async transaction<T>(fn: (tx: DatabaseTransaction) => Promise<T>): Promise<T> {
    const {client, release} = await this.checkOut()
    const tx: DatabaseTransaction = {
      query: async <R>(sql: string, params?: unknown[]) => toQueryResult<R>(await client.query(sql, params)),
      copyFrom: (target, data) => copyOn(client, target, data),
    }
    try {
      await client.query('BEGIN')
      const result = await fn(tx)
      await client.query('COMMIT')
      release()
      return result
    } catch (error) {
      const broken = await client.query('ROLLBACK').then(() => false, () => true)
      release(broken ? error : undefined)
      throw this.translate(error)
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  /**
   * A pooled client for several statements. The pool watches only idle clients for connection
   * errors; a checked-out client that loses its connection emits 'error' too, and with no listener
   * that would crash the process. The statement in progress fails with the same error anyway.
   */
  private async checkOut(): Promise<{client: pg.PoolClient; release(error?: unknown): void}> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw this.translate(error)
    }
    const onError = () => undefined
    client.on('error', onError)
    return {
      client,
      release(error?: unknown) {
        client.off('error', onError)
        client.release(error === undefined ? undefined : error instanceof Error ? error : true)
      },
    }
  }

  private translate(error: unknown): unknown {
    return isConnectionError(error) ? databaseUnreachable(this.location, error) : error
  }
}

async function copyOn(client: pg.PoolClient, target: CopyTarget, data: string | Uint8Array): Promise<number> {
  const binary = typeof data !== 'string'
  const stream = client.query(copyFromStdin(copyStatement(target, 'STDIN', binary ? 'binary' : 'text')))
  await pipeline(Readable.from([binary ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : data]), stream)
  return stream.rowCount ?? 0
}

function toQueryResult<R>(result: pg.QueryResult | pg.QueryResult[]): QueryResult<R> {
  // A multi-statement text answers with one result per statement; the last one is the answer.
  const last = Array.isArray(result) ? result[result.length - 1] : result
  return {rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? 0}
}
