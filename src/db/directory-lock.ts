import {open, readFile, rm} from 'node:fs/promises'

import {UnavailableError} from '../errors/index.js'
import {
  currentProcessIdentity, formatProcessIdentity, isProcessAlive, parseProcessIdentity, type ProcessIdentity,
} from '../os/process-identity.js'

/**
 * One process at a time per embedded database directory: PGlite has a single backend and two
 * processes writing one data directory would corrupt it. The lock is a sibling file
 * `<dir>.lock` holding the owner's pid and start time (`<pid>@<start>`); a lock whose process is
 * gone is stale and taken over. The start time is what makes a reused pid stale: a run killed as
 * pid 1 in a container leaves a lock that the next container's pid 1 (same number, later start)
 * takes over instead of waiting on itself.
 */
export interface DirectoryLock {
  release(): Promise<void>
}

export function lockPathOf(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, '')}.lock`
}

/** Throws `DATABASE_IN_USE` when a live process other than this one holds the directory. */
export async function assertDirectoryFree(dataDir: string): Promise<void> {
  const owner = await liveOwner(lockPathOf(dataDir))
  if (owner !== undefined && owner.pid !== process.pid) throw inUse(dataDir, owner.pid)
}

export async function acquireDirectoryLock(dataDir: string): Promise<DirectoryLock> {
  const lockPath = lockPathOf(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(formatProcessIdentity(currentProcessIdentity()))
      await handle.close()
      return {release: () => rm(lockPath, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = await liveOwner(lockPath)
      if (owner !== undefined) throw inUse(dataDir, owner.pid)
      await rm(lockPath, {force: true})
    }
  }
  throw inUse(dataDir, undefined)
}

async function liveOwner(lockPath: string): Promise<ProcessIdentity | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const owner = parseProcessIdentity(text)
  if (owner === undefined) return undefined
  // Our own pid without a start time (an older lock format, or a reused pid): not ours, so stale.
  if (owner.pid === process.pid && owner.startTime === undefined) return undefined
  return isProcessAlive(owner) ? owner : undefined
}

function inUse(dataDir: string, pid: number | undefined): UnavailableError {
  return new UnavailableError('DATABASE_IN_USE', `The embedded database ${dataDir} is in use by another process${pid ? ` (pid ${pid})` : ''}.`, {
    retryable: false,
    hint: 'Wait for the other factflow process to finish, or pass --database with another directory (or a postgres:// URL).',
  })
}
