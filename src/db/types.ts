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
  /**
   * One statement with `$n` parameters. Without parameters the text may hold several statements
   * (migrations); the result is then the last statement's.
   */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>
  /**
   * Bulk load: `COPY table (columns) FROM STDIN` fed with `data` in COPY text format (tab-separated,
   * `\N` for null, one row per line), or, given bytes, in binary format (see `BinaryCopyWriter`).
   * One statement, so atomic: on error nothing is stored. Resolves to the number of rows copied.
   */
  copyFrom(target: CopyTarget, data: string | Uint8Array): Promise<number>
  /** Runs `fn` in one transaction on one connection; rolls back when `fn` throws. */
  transaction<T>(fn: (tx: DatabaseTransaction) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** What a transaction callback may do: statements on the transaction's connection. */
export type DatabaseTransaction = Pick<Database, 'query' | 'copyFrom'>

export interface CopyTarget {
  /** Table name, possibly schema-qualified; taken as SQL, never from user input. */
  table: string
  columns: readonly string[]
}
