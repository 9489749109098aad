import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {currentProcessIdentity, formatProcessIdentity, processStartTime} from '../os/process-identity.js'
import {acquireDirectoryLock, assertDirectoryFree, lockPathOf} from './directory-lock.js'

let dir: string | undefined
afterEach(async () => {
  if (dir) await rm(dir, {recursive: true, force: true})
})

describe('directory lock', () => {
  it('refuses a second holder while the first lives, and frees the directory on release', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-lock-'))
    const db = path.join(dir, 'db')
    // Another live process holds the lock.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    await writeFile(lockPathOf(db), String(sleeper.pid))
    try {
      await expect(acquireDirectoryLock(db)).rejects.toMatchObject({code: 'DATABASE_IN_USE', exitCode: 4})
      await expect(assertDirectoryFree(db)).rejects.toMatchObject({code: 'DATABASE_IN_USE'})
    } finally {
      sleeper.kill()
    }
    await new Promise((r) => sleeper.once('exit', r))
    // Its process is gone: the lock is stale and taken over.
    const lock = await acquireDirectoryLock(db)
    expect(await readFile(lockPathOf(db), 'utf8')).toBe(formatProcessIdentity(currentProcessIdentity()))
    await lock.release()
    await expect(assertDirectoryFree(db)).resolves.toBeUndefined()
  })

  // A reused pid is not its old owner: pid 1 of a killed container, or this very process's pid.
  it.each([
    ['pid 1 with another start time', () => `1@${Number(processStartTime(1) ?? 0) + 12345}`],
    ['this pid with another start time', () => `${process.pid}@${Number(processStartTime(process.pid)) + 1}`],
    ['this pid alone (a lock from a process that had the same pid)', () => String(process.pid)],
  ])('takes over a lock held by %s', async (_name, content) => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-lock-'))
    const db = path.join(dir, 'db')
    await writeFile(lockPathOf(db), content())
    await expect(assertDirectoryFree(db)).resolves.toBeUndefined()
    const lock = await acquireDirectoryLock(db)
    await lock.release()
  })
})
