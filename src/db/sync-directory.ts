import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {syncFileSystemOf, syncPaths} from '../os/sync-file-system.js'

/**
 * fsyncs every file under `dir`, then the folders themselves. PGlite never asks the OS to sync
 * (its WebAssembly file layer drops PostgreSQL's fsync calls, with `fsync=on` as with off:
 * measured with strace, docs/decisions.md), so this is what makes a closed embedded database
 * survive a power loss: its files reach the disk before the run reports its end. With
 * `modifiedSinceMs`, only files changed since then (and every folder). On Linux one syncfs of
 * the directory's file system does it all (returns -1 then); elsewhere each file is fsynced.
 */
export async function syncDirectory(dir: string, options: {modifiedSinceMs?: number} = {}): Promise<number> {
  if (await syncFileSystemOf(dir)) return -1
  const files: string[] = []
  const folders: string[] = []
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true})) {
    const full = path.join(entry.parentPath, entry.name)
    if (entry.isDirectory()) folders.push(full)
    else if (entry.isFile()) {
      // Files untouched since the database was opened were synced when it last closed.
      const modified = options.modifiedSinceMs === undefined ? undefined : (await stat(full).catch(() => undefined))?.mtimeMs
      if (modified === undefined || modified >= options.modifiedSinceMs!) files.push(full)
    }
  }
  return await syncPaths(files, 'r+') + await syncPaths([...folders, dir], 'r')
}

/**
 * `FACTFLOW_DB_SYNC`: `on` (default) syncs the embedded database's files (and `factflow run`'s objects) to disk when it closes;
 * `off` leaves them to the OS's write-back (≈30 s on Linux), for scratch runs.
 */
export function syncOnClose(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.FACTFLOW_DB_SYNC?.trim().toLowerCase()
  return !(raw === 'off' || raw === '0' || raw === 'false' || raw === 'no')
}
