import {randomUUID} from 'node:crypto'
import {mkdir, open, readdir, readFile, rename, rm, rmdir} from 'node:fs/promises'
import path from 'node:path'

import type {NewExecution} from './execution-repository.js'

/**
 * Execution records that wait for an embedded database still being opened. `factflow run` starts
 * crawling before its database is open (1–3 s on a first run), and the execution's row can only be
 * written once it is: a run killed in between would leave pages in storage and no execution a later
 * run can mark interrupted or `--resume`. So the record is first written here, next to the
 * database (`<data dir>.pending-executions/<id>.json`), and removed once the row exists or the run
 * ends; the next run on that database turns what killed runs left into rows, then into
 * `interrupted` executions (docs/decisions.md, "executions killed before their database opened").
 * Files are written whole (a temporary file, fsync, rename).
 */
export interface PendingExecutionRecords {
  readonly dir: string
  write(record: NewExecution & {id: string}): Promise<void>
  remove(id: string): Promise<void>
  /** The records in the folder, but `except`'s; unreadable files are removed and skipped. */
  left(except?: string): Promise<Array<NewExecution & {id: string}>>
}

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/

export function pendingExecutionRecords(dataDir: string): PendingExecutionRecords {
  const dir = `${path.resolve(dataDir)}.pending-executions`
  const fileOf = (id: string) => path.join(dir, `${id}.json`)
  return {
    dir,
    async write(record) {
      await mkdir(dir, {recursive: true})
      const temporary = path.join(dir, `.${record.id}.${randomUUID()}.tmp`)
      const handle = await open(temporary, 'wx')
      try {
        await handle.writeFile(JSON.stringify(record))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, fileOf(record.id))
    },
    async remove(id) {
      await rm(fileOf(id), {force: true})
      // Gone with its last record, so a run's output shows no empty folder.
      await rmdir(dir).catch(() => undefined)
    },
    async left(except) {
      const names = await readdir(dir).catch(() => [] as string[])
      const records: Array<NewExecution & {id: string}> = []
      for (const name of names) {
        const id = FILE.exec(name)?.[1]
        if (id === undefined) {
          // A temporary file of a write that was killed.
          if (name.endsWith('.tmp')) await rm(path.join(dir, name), {force: true})
          continue
        }
        if (id === except) continue
        const record = await readFile(fileOf(id), 'utf8').then(parseRecord, () => undefined)
        if (record?.id === id && typeof record.config_name === 'string' && typeof record.config_snapshot === 'object') records.push(record)
        else await rm(fileOf(id), {force: true})
      }
      return records
    },
  }
}

/** The folder of pending records for a database URL: embedded databases on disk only. */
export function pendingExecutionRecordsFor(location: {kind: 'pglite'; dataDir: string | undefined} | {kind: 'postgres'}): PendingExecutionRecords | undefined {
  return location.kind === 'pglite' && location.dataDir !== undefined ? pendingExecutionRecords(location.dataDir) : undefined
}

function parseRecord(text: string): (NewExecution & {id: string}) | undefined {
  try {
    return JSON.parse(text) as NewExecution & {id: string}
  } catch {
    return undefined
  }
}
