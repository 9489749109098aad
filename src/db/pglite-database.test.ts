import {afterAll, beforeAll, describe, expect, it} from 'vitest'
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
