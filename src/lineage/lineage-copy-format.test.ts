import {describe, expect, it} from 'vitest'
import {lineageRow} from '../../test/helpers/lineage-rows.js'
import {LINEAGE_COLUMNS, lineageCopyLine} from './lineage-copy-format.js'

const fields = (line: string) => line.slice(0, -1).split('\t')

describe('lineageCopyLine', () => {
  it('writes one tab-separated field per column and ends the line', () => {
    const row = lineageRow()
    const line = lineageCopyLine(row)
    expect(line.endsWith('\n')).toBe(true)
    const values = fields(line)
    expect(values).toHaveLength(LINEAGE_COLUMNS.length)
    expect(values[LINEAGE_COLUMNS.indexOf('id')]).toBe(row.id)
    expect(values[LINEAGE_COLUMNS.indexOf('started_at')]).toBe(row.started_at.toISOString())
    expect(values[LINEAGE_COLUMNS.indexOf('duration_ms')]).toBe('42.5')
    expect(JSON.parse(values[LINEAGE_COLUMNS.indexOf('metadata')])).toEqual(row.metadata)
  })

  it('writes null as \\N and escapes what would break a line or a field', () => {
    const row = lineageRow({parent_id: null, completed_at: null, duration_ms: Number.NaN, route_id: 'a\tb\\c\nd\re'})
    const values = fields(lineageCopyLine(row))
    expect(values[LINEAGE_COLUMNS.indexOf('parent_id')]).toBe('\\N')
    expect(values[LINEAGE_COLUMNS.indexOf('completed_at')]).toBe('\\N')
    expect(values[LINEAGE_COLUMNS.indexOf('duration_ms')]).toBe('\\N')
    expect(values[LINEAGE_COLUMNS.indexOf('route_id')]).toBe('a\\tb\\\\c\\nd\\re')
  })

  it('replaces NUL, which PostgreSQL cannot store in text or jsonb', () => {
    const values = fields(lineageCopyLine(lineageRow({stage_name: 'x\u0000y', metadata: {title: 'a\u0000b'}})))
    expect(values[LINEAGE_COLUMNS.indexOf('stage_name')]).toBe('x\uFFFDy')
    expect(JSON.parse(values[LINEAGE_COLUMNS.indexOf('metadata')])).toEqual({title: 'a\uFFFDb'})
  })

  it('keeps a row whose metadata cannot be serialised, saying why', () => {
    const metadata: Record<string, unknown> = {size: 10n}
    const values = fields(lineageCopyLine(lineageRow({metadata})))
    expect(JSON.parse(values[LINEAGE_COLUMNS.indexOf('metadata')])).toHaveProperty('serialization_error')
  })

  it('snapshots the row: later changes to its metadata are not stored', () => {
    const row = lineageRow({metadata: {n: 1}})
    const line = lineageCopyLine(row)
    ;(row.metadata as Record<string, unknown>).n = 2
    expect(line).toContain('{"n":1}')
  })
})
