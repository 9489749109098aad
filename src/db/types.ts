/**
 * The SQL database as the rest of factflow sees it: real PostgreSQL (node-postgres pool) or the
 * embedded PGlite. The same SQL runs on both.
 */
export interface QueryResult<R> {
  rows: R[]
  rowCount: number
}

export interface Database {
  readonly kind: 'postgres' | 'pglite'
  /** Human-readable location for summaries (`postgres://host:5432/db`, `./output/db`). */
  readonly location: string
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>
  /** Runs `fn` in one transaction on one connection. */
  transaction<T>(fn: (tx: Pick<Database, 'query'>) => Promise<T>): Promise<T>
  close(): Promise<void>
}
