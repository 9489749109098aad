import {validate, version} from 'uuid'
import {describe, expect, it} from 'vitest'

import {decodeLineageCopy} from '../../test/helpers/copy-binary.js'
import {lineageRow} from '../../test/helpers/lineage-rows.js'
import {copyBinaryStream} from '../db/binary-copy.js'
import {xxh64} from '../engine/xxh64.js'
import {type EncodedChunk, LineageRowEncoder} from './lineage-binary-format.js'
import type {NewLineageRow} from './types.js'

function encode(rows: NewLineageRow[], chunkBytes?: number): {chunks: EncodedChunk[]; decoded: ReturnType<typeof decodeLineageCopy>} {
  const encoder = new LineageRowEncoder(chunkBytes)
  const chunks: EncodedChunk[] = []
  for (const row of rows) {
    const sealed = encoder.append(row)
    if (sealed) chunks.push(sealed)
  }
  const last = encoder.seal()
  if (last) chunks.push(last)
  const parts = chunks.map((chunk) => chunk.slice(0, chunk.rows))
  return {chunks, decoded: decodeLineageCopy(copyBinaryStream(parts))}
}

describe('lineage binary COPY encoder', () => {
  it('encodes every column of a row so that it decodes to the same values', () => {
    const row = lineageRow()
    const [decoded] = encode([row]).decoded
    expect(decoded).toEqual({
      ...row, started_at: row.started_at.getTime(), completed_at: (row.completed_at as Date).getTime(),
    })
  })

  it('takes times as epoch milliseconds with microseconds, or as Dates', () => {
    const [decoded] = encode([{...lineageRow(), started_at: 1_798_000_000_123.456, completed_at: null}]).decoded
    expect(decoded.started_at).toBeCloseTo(1_798_000_000_123.456, 3)
    expect(decoded.completed_at).toBeNull()
  })

  it('writes nulls, non-ASCII text and JSON, and replaces NUL, which PostgreSQL cannot store', () => {
    const row = lineageRow({
      parent_id: null, stage_input_hash: null, duration_ms: Number.NaN, replay_batch_id: null, error_info: null,
      route_id: 'tab\there \\ ünï', stage_name: 'x\u0000y', metadata: {title: 'a\u0000b 🎉', list: [1, null, 'two']},
    })
    const [decoded] = encode([row]).decoded
    expect(decoded).toMatchObject({
      parent_id: null, stage_input_hash: null, duration_ms: null, replay_batch_id: null, error_info: null,
      route_id: 'tab\there \\ ünï', stage_name: 'x\uFFFDy', metadata: {title: 'a\uFFFDb 🎉', list: [1, null, 'two']},
    })
  })

  it('spells an xxh64 digest as stage_input_hash text, the same bytes as the string form', () => {
    const digest = xxh64('{"text":"x"}')
    const row = lineageRow()
    const [chunk] = encode([{...row, stage_input_hash: digest}, {...row, stage_input_hash: String(digest)}]).chunks
    const [withDigest, withString] = [Buffer.from(chunk!.slice(0, 1)), Buffer.from(chunk!.slice(1, 2))]
    expect(withDigest).toEqual(withString)
    expect(encode([{...row, stage_input_hash: digest}]).decoded[0]!.stage_input_hash).toMatch(/^xxh64:[0-9a-f]{16}$/)
  })

  it('keeps a row whose metadata cannot be serialised, saying why', () => {
    const metadata: Record<string, unknown> = {size: 10n}
    const [decoded] = encode([lineageRow({metadata})]).decoded
    expect(decoded.metadata).toHaveProperty('serialization_error')
  })

  it('generates a UUIDv7 for a row without an id', () => {
    const {id: _id, ...row} = lineageRow()
    const decoded = encode([row, row]).decoded
    expect(validate(decoded[0]!.id as string) && version(decoded[0]!.id as string)).toBe(7)
    expect(decoded[0]!.id).not.toBe(decoded[1]!.id)
  })

  it('refuses a row with an id that is not a UUID, or an invalid time, and keeps the rows before it', () => {
    const encoder = new LineageRowEncoder()
    const good = lineageRow()
    encoder.append(good)
    for (const bad of [
      lineageRow({correlation_id: 'not-a-uuid'}),
      lineageRow({message_id: '0000000g-0000-7000-8000-000000000000'}),
      lineageRow({parent_id: '0000000\u0130-0000-7000-8000-000000000000'}),
      lineageRow({started_at: new Date(Number.NaN)}),
    ]) {
      expect(() => encoder.append(bad)).toThrow(RangeError)
    }
    const chunk = encoder.seal()!
    expect(chunk.rows).toBe(1)
    expect(decodeLineageCopy(copyBinaryStream([chunk.slice(0, 1)]))[0]!.id).toBe(good.id)
  })

  it('seals a full chunk and goes on in a new one, row boundaries intact', () => {
    const rows = Array.from({length: 300}, (_, i) => lineageRow({metadata: {n: i, pad: 'p'.repeat(i % 50)}}))
    const {chunks, decoded} = encode(rows, 4096)
    expect(chunks.length).toBeGreaterThan(5)
    expect(decoded.map((r) => r.id)).toEqual(rows.map((r) => r.id))
    const second = chunks[1]!
    const sliced = decodeLineageCopy(copyBinaryStream([second.slice(1, 3)]))
    expect(sliced.map((r) => r.id)).toEqual(rows.slice(chunks[0]!.rows + 1, chunks[0]!.rows + 3).map((r) => r.id))
  })

  it('grows a chunk for a row larger than the chunk size', () => {
    const big = lineageRow({metadata: {body: 'b'.repeat(10_000)}})
    const {decoded} = encode([lineageRow(), big, lineageRow()], 1024)
    expect((decoded[1]!.metadata as {body: string}).body).toHaveLength(10_000)
    expect(decoded).toHaveLength(3)
  })
})
