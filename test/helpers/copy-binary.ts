import {LINEAGE_COLUMNS} from '../../src/lineage/lineage-binary-format.js'

type Column = typeof LINEAGE_COLUMNS[number]
const UUID_COLUMNS = new Set<Column>(['id', 'correlation_id', 'message_id', 'parent_id', 'execution_id', 'replay_batch_id'])
const PG_EPOCH_MS = 946_684_800_000
const SIGNATURE = 'PGCOPY\n\xff\r\n\0'

/**
 * Decodes a binary COPY stream of the lineage columns (what the lineage writer sends) back into
 * values: uuids as text, times as epoch milliseconds, jsonb parsed. For tests of the encoder and of
 * stores that stand in for the database. Throws on anything malformed.
 */
export function decodeLineageCopy(data: Uint8Array): Record<Column, unknown>[] {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (buffer.toString('latin1', 0, 11) !== SIGNATURE) throw new Error('not a binary COPY stream')
  let offset = 11 + 8 + buffer.readInt32BE(15)
  const rows: Record<Column, unknown>[] = []
  for (;;) {
    const fields = buffer.readInt16BE(offset)
    offset += 2
    if (fields === -1) break
    if (fields !== LINEAGE_COLUMNS.length) throw new Error(`a tuple has ${fields} fields`)
    const row = {} as Record<Column, unknown>
    for (const column of LINEAGE_COLUMNS) {
      const length = buffer.readInt32BE(offset)
      offset += 4
      if (length === -1) {
        row[column] = null
        continue
      }
      const bytes = buffer.subarray(offset, offset + length)
      offset += length
      row[column] = decodeField(column, bytes)
    }
    rows.push(row)
  }
  if (offset !== buffer.length) throw new Error(`${buffer.length - offset} bytes after the trailer`)
  return rows
}

function decodeField(column: Column, bytes: Buffer): unknown {
  if (UUID_COLUMNS.has(column)) {
    const hex = bytes.toString('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
  switch (column) {
    case 'adapter_index': return bytes.readInt32BE(0)
    case 'duration_ms': return bytes.readDoubleBE(0)
    case 'started_at':
    case 'completed_at': return Number(bytes.readBigInt64BE(0)) / 1000 + PG_EPOCH_MS
    case 'metadata':
    case 'error_info':
      if (bytes[0] !== 1) throw new Error(`jsonb version ${bytes[0]}`)
      return JSON.parse(bytes.toString('utf8', 1))
    default: return bytes.toString('utf8')
  }
}
