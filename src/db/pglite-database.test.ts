import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {copyBinaryStream} from './binary-copy.js'
import {PgliteDatabase} from './pglite-database.js'

describe('PgliteDatabase in this thread', () => {
  let db: PgliteDatabase

  beforeAll(async () => {
    db = await PgliteDatabase.open({worker: false})
    await db.query('CREATE TABLE items (id integer PRIMARY KEY, body jsonb)')
  })
  afterAll(async () => {
    await db?.close()
  })

  it('runs a statement issued during a transaction only after the transaction ends', async () => {
    const order: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO items (id) VALUES ($1)', [1])
      order.push('tx insert')
      await held
      await t.query('DELETE FROM items WHERE id = $1', [1])
      order.push('tx delete')
    })
    const outside = db.query<{n: number}>('SELECT count(*)::int AS n FROM items').then((result) => {
      order.push('outside')
      return result.rows[0].n
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    release()
    await tx
    expect(await outside).toBe(0)
    expect(order).toEqual(['tx insert', 'tx delete', 'outside'])
  })

  it('bulk-loads COPY text and keeps the server error code on failures', async () => {
    expect(await db.copyFrom({table: 'items', columns: ['id', 'body']}, '10\t{"a":1}\n11\t\\N\n')).toBe(2)
    const {rows} = await db.query('SELECT id, body FROM items WHERE id >= 10 ORDER BY id')
    expect(rows).toEqual([{id: 10, body: {a: 1}}, {id: 11, body: null}])
    await expect(db.copyFrom({table: 'items', columns: ['id']}, '10\n')).rejects.toMatchObject({code: '23505'})
  })

  it('answers a multi-statement text with its last result', async () => {
    const {rows} = await db.query('SELECT 1 AS a; SELECT 2 AS b')
    expect(rows).toEqual([{b: 2}])
  })
})

describe('PgliteDatabase in a worker thread', () => {
  let db: PgliteDatabase

  beforeAll(async () => {
    db = await PgliteDatabase.open({worker: true})
    await db.query('CREATE TABLE numbers (n integer PRIMARY KEY)')
  })
  afterAll(async () => {
    await db?.close()
  })

  /** A binary COPY body of one int4 column. */
  function body(from: number, count: number): Buffer {
    const tuples = Buffer.alloc(count * 10)
    for (let i = 0; i < count; i++) {
      tuples.writeInt16BE(1, i * 10)
      tuples.writeInt32BE(4, i * 10 + 2)
      tuples.writeInt32BE(from + i, i * 10 + 6)
    }
    return copyBinaryStream([tuples])
  }

  it('bulk-loads binary COPY bodies of any size through its reused buffers, also after failures, leaving the caller\'s bytes intact', async () => {
    const bodies = [[0, 10], [10, 5_000], [5_010, 3], [20_000, 70_000], [90_000, 1]] as const
    let stored = 0
    for (const [from, count] of bodies) {
      const data = body(from, count)
      const copy = Buffer.from(data)
      expect(await db.copyFrom({table: 'numbers', columns: ['n']}, data)).toBe(count)
      stored += count
      expect(data).toEqual(copy)
      // A refused body (a duplicate key) answers with its error and the next body still loads.
      await expect(db.copyFrom({table: 'numbers', columns: ['n']}, body(from, 2))).rejects.toMatchObject({code: '23505'})
    }
    const {rows} = await db.query<{count: number; sum: string}>('SELECT count(*)::int AS count, sum(n)::text AS sum FROM numbers')
    expect(rows[0]!.count).toBe(stored)
    const expected = bodies.reduce((sum, [from, count]) => sum + BigInt(count) * BigInt(from) + BigInt(count * (count - 1) / 2), 0n)
    expect(rows[0]!.sum).toBe(expected.toString())
  })
})
