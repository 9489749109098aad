import {describe, expect, it} from 'vitest'

import {isSettled} from '../../test/helpers/settled.js'

import {lineageRows} from '../../test/helpers/lineage-rows.js'
import type {LineageWriter, NewLineageRow} from '../lineage/types.js'
import {silentLogger} from '../logging/logger.js'
import {DeferredLineageWriter} from './deferred-lineage-writer.js'

function collectingWriter(): LineageWriter & {rows: NewLineageRow[]} {
  const rows: NewLineageRow[] = []
  return {
    rows,
    write: (row) => void rows.push(row),
    async flush() {},
    stats: () => ({written: rows.length, pending: 0, failedFlushes: 0, dropped: 0}),
    async close() {},
  }
}


describe('DeferredLineageWriter (rows written before the database is open)', () => {
  it('asks the engine to wait past its mark and lets go when the database is attached, handing over every row', async () => {
    const deferred = new DeferredLineageWriter(1_000, silentLogger, 100)
    const rows = lineageRows(150)
    for (const row of rows.slice(0, 99)) deferred.write(row)
    expect(deferred.backlog()).toBeUndefined()
    for (const row of rows.slice(99)) deferred.write(row)
    const wait = deferred.backlog()
    expect(wait).toBeInstanceOf(Promise)
    expect(await isSettled(wait!)).toBe(false)
    const target = collectingWriter()
    deferred.attach(target)
    expect(await isSettled(wait!)).toBe(true)
    expect(target.rows).toHaveLength(150)
    expect(deferred.stats()).toMatchObject({written: 150, dropped: 0})
  })

  it('lets go when the database cannot be opened, and no longer waits', async () => {
    const deferred = new DeferredLineageWriter(1_000, silentLogger, 10)
    for (const row of lineageRows(20)) deferred.write(row)
    const wait = deferred.backlog()!
    deferred.fail()
    expect(await isSettled(wait)).toBe(true)
    expect(deferred.backlog()).toBeUndefined()
  })

  it('waits at most maxWaitMs for a database that is slow to open', async () => {
    const deferred = new DeferredLineageWriter(1_000, silentLogger, 10, 50)
    for (const row of lineageRows(20)) deferred.write(row)
    const started = performance.now()
    await deferred.backlog()
    expect(performance.now() - started).toBeGreaterThanOrEqual(45)
    expect(deferred.backlog()).toBeUndefined()
    // The rows are still held and handed over when the database opens.
    const target = collectingWriter()
    deferred.attach(target)
    expect(target.rows).toHaveLength(20)
  })
})
