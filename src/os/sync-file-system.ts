import {execFile} from 'node:child_process'
import {open} from 'node:fs/promises'

import {mapConcurrent} from '../storage/map-concurrent.js'

/**
 * Flushes the whole file system holding `target` to disk with one `syncfs(2)` (coreutils'
 * `sync -f`, Linux): Linux waits for the writes, which gives what an fsync of every file on that
 * file system would (syncfs(2)). One call instead of one fsync per file: 15–40 ms here where 2,000
 * fsyncs took 340 ms (docs/decisions.md). False when it could not (no such command, another OS):
 * the caller syncs its files one by one.
 */
export function syncFileSystemOf(target: string, timeoutMs = 120_000): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false)
  return new Promise((resolve) => {
    execFile('sync', ['-f', target], {timeout: timeoutMs, windowsHide: true}, (error) => resolve(error === null))
  })
}

/**
 * fsyncs each path (files with `r+`, folders with `r`), 8 at a time; paths that are gone or that
 * the file system refuses to sync (some refuse folders) are skipped. Returns how many were synced.
 */
export async function syncPaths(paths: Iterable<string>, flags: 'r' | 'r+'): Promise<number> {
  let synced = 0
  await mapConcurrent([...paths], 8, async (target) => {
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
  })
  return synced
}
