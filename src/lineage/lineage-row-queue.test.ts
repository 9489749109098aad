import {describe, expect, it} from 'vitest'

import {decodeLineageCopy} from '../../test/helpers/copy-binary.js'
import {lineageRows} from '../../test/helpers/lineage-rows.js'
import {copyBinaryStream} from '../db/binary-copy.js'
import {LineageRowEncoder} from './lineage-binary-format.js'
import {copyBody, LineageRowQueue, spanBytes, spanRows, splitSpans} from './lineage-row-queue.js'

const idsOf = (spans: Parameters<typeof spanBytes>[0]) => decodeLineageCopy(copyBinaryStream(spanBytes(spans))).map((row) => row.id)

describe('lineage row queue', () => {
  it('takes rows oldest first across chunks, including the open one', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(2048), 10_000)
    const rows = lineageRows(100)
    for (const row of rows) queue.push(row)
    expect(queue.size).toBe(100)
    const first = queue.take(30)
    expect(spanRows(first)).toBe(30)
    expect(idsOf(first)).toEqual(rows.slice(0, 30).map((r) => r.id))
    const rest = queue.take(1000)
    expect(idsOf(rest)).toEqual(rows.slice(30).map((r) => r.id))
    expect(queue.size).toBe(0)
    expect(queue.take(10)).toEqual([])
  })

  it('drops the oldest rows past its capacity and says how many', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(4096), 50)
    const rows = lineageRows(120)
    let dropped = 0
    for (const row of rows) dropped += queue.push(row)
    expect(dropped).toBe(70)
    expect(queue.size).toBe(50)
    expect(idsOf(queue.take(1000))).toEqual(rows.slice(70).map((r) => r.id))
  })

  it('splits spans at a row count, keeping order', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(1024), 1000)
    const rows = lineageRows(40)
    for (const row of rows) queue.push(row)
    const spans = queue.take(40)
    const [head, tail] = splitSpans(spans, 17)
    expect(idsOf(head)).toEqual(rows.slice(0, 17).map((r) => r.id))
    expect(idsOf(tail)).toEqual(rows.slice(17).map((r) => r.id))
  })

  it('gives a taken batch as one framed COPY body, the same rows as framing its spans', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(2048), 10_000)
    const rows = lineageRows(50)
    for (const row of rows) queue.push(row)
    const batch = queue.take(50)
    expect(batch).toHaveLength(1)
    const framed = copyBody(batch)
    expect(Buffer.from(framed)).toEqual(copyBinaryStream(spanBytes(batch)))
    expect(decodeLineageCopy(framed).map((row) => row.id)).toEqual(rows.map((r) => r.id))
    // A part of a batch (after bisecting) is framed on its own.
    const [head] = splitSpans(batch, 20)
    expect(decodeLineageCopy(copyBody(head)).map((row) => row.id)).toEqual(rows.slice(0, 20).map((r) => r.id))
  })

  it('reuses chunk and batch buffers without mixing rows up', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(1024), 10_000)
    const rows = lineageRows(600)
    let next = 0
    const push = (n: number) => {
      for (const row of rows.slice(next, next + n)) queue.push(row)
      next += n
    }
    push(100)
    const kept = queue.take(30)
    push(100)
    const first = queue.take(100)
    const firstIds = decodeLineageCopy(copyBody(first)).map((row) => row.id)
    queue.release(first)
    push(200)
    const second = queue.take(80)
    // The second (smaller) batch reuses the first one's buffer; the batch never released keeps its rows.
    expect(second[0]!.chunk.backing).toBe(first[0]!.chunk.backing)
    expect(firstIds).toEqual(rows.slice(30, 130).map((r) => r.id))
    expect(idsOf(second)).toEqual(rows.slice(130, 210).map((r) => r.id))
    expect(idsOf(kept)).toEqual(rows.slice(0, 30).map((r) => r.id))
    queue.release(second)
    push(200)
    expect(idsOf(queue.take(10_000))).toEqual(rows.slice(210, 600).map((r) => r.id))
    expect(queue.size).toBe(0)
  })

  it('clears everything and counts it', () => {
    const queue = new LineageRowQueue(new LineageRowEncoder(), 1000)
    for (const row of lineageRows(7)) queue.push(row)
    expect(queue.clear()).toBe(7)
    expect(queue.size).toBe(0)
  })
})
