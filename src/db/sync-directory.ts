import {open, readdir, stat} from 'node:fs/promises'
import path from 'node:path'

/**
 * fsyncs every file under `dir`, then the folders themselves. PGlite never asks the OS to sync
 * (its WebAssembly file layer drops PostgreSQL's fsync calls, with `fsync=on` as with off:
 * measured with strace, docs/decisions.md), so this is what makes a closed embedded database
 * survive a power loss: its files reach the disk before the run reports its end. With
 * `modifiedSinceMs`, only files changed since then (and every folder).
 */
export async function syncDirectory(dir: string, options: {modifiedSinceMs?: number} = {}): Promise<number> {
  let synced = 0
  const syncPath = async (target: string, flags: string) => {
    const handle = await open(target, flags).catch(() => undefined)
    if (!handle) return
    try {
      await handle.sync()
      synced++
    } catch {
      // A folder some file systems refuse to sync: its files are synced.
    } finally {
      await handle.close()
    }
  }
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name)
    if (entry.isFile()) {
      // Files untouched since the database was opened were synced when it last closed.
      const modified = options.modifiedSinceMs === undefined ? undefined : (await stat(full).catch(() => undefined))?.mtimeMs
      if (modified !== undefined && modified < options.modifiedSinceMs!) continue
      await syncPath(full, 'r+')
    }
    else if (entry.isDirectory()) await syncPath(full, 'r')
  }
  await syncPath(dir, 'r')
  return synced
}

/**
 * `FACTFLOW_DB_SYNC`: `on` (default) syncs the embedded database's files to disk when it closes;
 * `off` leaves them to the OS's write-back (≈30 s on Linux), for scratch runs.
 */
export function syncOnClose(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.FACTFLOW_DB_SYNC?.trim().toLowerCase()
  return !(raw === 'off' || raw === '0' || raw === 'false' || raw === 'no')
}
