import {InternalError} from '../errors/index.js'
import type {CopyTarget} from './types.js'

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/

/**
 * `COPY table (a, b) FROM <source>`, in text format or, for `binary`, `WITH (FORMAT binary)`.
 * Names come from code, never from users.
 */
export function copyStatement(target: CopyTarget, source: 'STDIN' | "'/dev/blob'", format: 'text' | 'binary' = 'text'): string {
  for (const name of [target.table, ...target.columns]) {
    if (!IDENTIFIER.test(name)) throw new InternalError('BAD_COPY_TARGET', `Not a plain SQL identifier: ${name}`)
  }
  return `COPY ${target.table} (${target.columns.join(', ')}) FROM ${source}${format === 'binary' ? ' WITH (FORMAT binary)' : ''}`
}
