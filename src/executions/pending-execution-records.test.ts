import {existsSync} from 'node:fs'
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {v7 as uuidv7} from 'uuid'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {pendingExecutionRecords, pendingExecutionRecordsFor} from './pending-execution-records.js'

describe('pending execution records', () => {
  let work: string
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-pending-'))
  })
  afterAll(async () => {
    await rm(work, {recursive: true, force: true})
  })

  const record = (id: string) => ({id, config_name: 'crawl', config_snapshot: {name: 'crawl', routes: {}}, tag: 'nightly', metadata: {init_payload: {}}})

  it('keeps a record beside the database until it is removed, and answers the others than the caller\'s own', async () => {
    const records = pendingExecutionRecords(path.join(work, 'db'))
    expect(records.dir).toBe(path.join(work, 'db.pending-executions'))
    expect(await records.left()).toEqual([])
    const [killed, own] = [uuidv7(), uuidv7()]
    await records.write(record(killed))
    await records.write(record(own))
    expect(await records.left(own)).toEqual([record(killed)])
    await records.remove(killed)
    await records.remove(killed)
    expect(await records.left(own)).toEqual([])
    expect(await readdir(records.dir)).toEqual([`${own}.json`])
    await records.remove(own)
    expect(existsSync(records.dir)).toBe(false)
  })

  it('drops what a killed write or another hand left: temporary files, unparsable or foreign records', async () => {
    const records = pendingExecutionRecords(path.join(work, 'db2'))
    const good = uuidv7()
    await records.write(record(good))
    const broken = uuidv7()
    await writeFile(path.join(records.dir, `${broken}.json`), '{"id": "')
    await writeFile(path.join(records.dir, `.${good}.half.tmp`), '{')
    await writeFile(path.join(records.dir, `${uuidv7()}.json`), JSON.stringify(record(uuidv7())))
    await writeFile(path.join(records.dir, 'notes.txt'), 'left alone')
    expect(await records.left()).toEqual([record(good)])
    expect((await readdir(records.dir)).sort()).toEqual([`${good}.json`, 'notes.txt'].sort())
  })

  it('applies to embedded databases on disk only', () => {
    expect(pendingExecutionRecordsFor({kind: 'pglite', dataDir: path.join(work, 'db')})?.dir).toBe(path.join(work, 'db.pending-executions'))
    expect(pendingExecutionRecordsFor({kind: 'pglite', dataDir: undefined})).toBeUndefined()
    expect(pendingExecutionRecordsFor({kind: 'postgres'})).toBeUndefined()
  })
})
