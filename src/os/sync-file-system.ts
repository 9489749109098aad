import {spawn} from 'node:child_process'
import {open, readdir, stat} from 'node:fs/promises'
import path from 'node:path'

/**
 * Makes every file under `dir` changed since `modifiedSinceMs` (all of them without it), and every
 * folder, reach the disk. On Linux one `syncfs(2)` of the file system holding `dir` (coreutils'
 * `sync -f`): Linux waits for the writes, which gives what an fsync of every file on that file
 * system would. It also waits for other processes' dirty data there, so it takes tens of ms on a
 * quiet disk and longer on a busy one; 2,000 small files took 15–40 ms this way against 340 ms
 * fsynced one by one (docs/decisions.md, 2026-12-07). Where `sync -f` does not exist (another
 * OS, coreutils before 8.24) each changed file, then each folder, is fsynced instead. Answers
 * what could not be synced (empty when everything reached the disk), never throws: the caller
 * decides how loud to be.
 */
export async function syncTree(dir: string, options: {modifiedSinceMs?: number; timeoutMs?: number} = {}): Promise<string[]> {
  const whole = await syncFileSystemOf(dir, options.timeoutMs)
  if (whole !== 'unavailable') return whole === 'synced' ? [] : [`${dir}: ${whole.failed}`]
  const files: string[] = []
  const folders: string[] = [dir]
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])) {
    const full = path.join(entry.parentPath, entry.name)
    if (entry.isDirectory()) folders.push(full)
    else if (entry.isFile()) {
      // Files untouched since then were synced before (a closed database, an earlier close()).
      const modified = options.modifiedSinceMs === undefined ? undefined : (await stat(full).catch(() => undefined))?.mtimeMs
      if (modified === undefined || modified >= options.modifiedSinceMs!) files.push(full)
    }
  }
  const failures: string[] = []
  for (const [targets, flags] of [[files, 'r+'], [folders, 'r']] as const) {
    for (const target of targets) {
      const handle = await open(target, flags).catch(() => undefined)
      // Gone since the listing (a temporary file): nothing to sync.
      if (!handle) continue
      try {
        await handle.sync()
      } catch (error) {
        // Some file systems refuse to sync a folder; its files are synced. A file is a failure.
        const code = (error as NodeJS.ErrnoException).code
        if (flags === 'r+' || !['EINVAL', 'EISDIR', 'EBADF', 'EPERM'].includes(code ?? '')) failures.push(`${target}: ${code ?? String(error)}`)
      } finally {
        await handle.close().catch(() => undefined)
      }
    }
  }
  return failures
}

/**
 * One `syncfs(2)` of the file system holding `target` through `sync -f`. `unavailable` when there
 * is no such command (not Linux, no coreutils, a `sync` without `-f`): the caller fsyncs file by
 * file. A sync still running after `timeoutMs` is reported as failed and left to finish on its own
 * (a process waiting for the disk cannot be killed), never waited for forever.
 */
function syncFileSystemOf(target: string, timeoutMs = 120_000): Promise<'synced' | 'unavailable' | {failed: string}> {
  if (process.platform !== 'linux') return Promise.resolve('unavailable')
  return new Promise((resolve) => {
    let stderr = ''
    const child = spawn('sync', ['-f', target], {stdio: ['ignore', 'ignore', 'pipe']})
    const timer = setTimeout(() => {
      child.unref()
      resolve({failed: `sync -f did not finish within ${Math.round(timeoutMs / 1000)} s`})
    }, timeoutMs)
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(error.code === 'ENOENT' ? 'unavailable' : {failed: error.message})
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve('synced')
      // coreutils before 8.24 refuses the option: usage error, nothing was synced.
      else if (/option/i.test(stderr)) resolve('unavailable')
      else resolve({failed: stderr.trim() || `sync -f exited ${code}`})
    })
  })
}
