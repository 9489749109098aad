import {open, readFile, rm} from 'node:fs/promises'

import {UnavailableError} from '../errors/index.js'

/**
 * One process at a time per embedded database directory: PGlite has a single backend and two
 * processes writing one data directory would corrupt it. The lock is a sibling file
 * `<dir>.lock` holding the owner's pid; a lock whose process is gone is stale and taken over.
 */
export interface DirectoryLock {
  release(): Promise<void>
}

export function lockPathOf(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, '')}.lock`
}

/** Throws `DATABASE_IN_USE` when a live process holds the directory. */
export async function assertDirectoryFree(dataDir: string): Promise<void> {
  const owner = await liveOwner(lockPathOf(dataDir))
  if (owner !== undefined && owner !== process.pid) throw inUse(dataDir, owner)
}

export async function acquireDirectoryLock(dataDir: string): Promise<DirectoryLock> {
  const lockPath = lockPathOf(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return {release: () => rm(lockPath, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = await liveOwner(lockPath)
      if (owner !== undefined) throw inUse(dataDir, owner)
      await rm(lockPath, {force: true})
    }
  }
  throw inUse(dataDir, undefined)
}

async function liveOwner(lockPath: string): Promise<number | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const pid = Number.parseInt(text, 10)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined
  }
}

function inUse(dataDir: string, pid: number | undefined): UnavailableError {
  return new UnavailableError('DATABASE_IN_USE', `The embedded database ${dataDir} is in use by another process${pid ? ` (pid ${pid})` : ''}.`, {
    retryable: false,
    hint: 'Wait for the other factflow process to finish, or pass --database with another directory (or a postgres:// URL).',
  })
}
