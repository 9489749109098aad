import type {Dirent} from 'node:fs'
import {readdir, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import {isAbsent} from './file-errors.js'
import {METADATA_SIDECAR_SUFFIX, RESERVED_SEGMENT_PREFIX} from './keys.js'
import {compareKeys, foldKey, isBeforeCursor, type ListingEntry} from './listing.js'

export interface WalkOptions {
  /** The store root after resolving symlinks. */
  realRoot: string
  prefix: string
  delimiter?: string
  cursor?: {after: string; prefix: boolean}
}

interface Child {
  name: string
  /** `name` for files, `name/` for directories: the order their keys take. */
  sortKey: string
  directory: boolean
}

/** Files and directories of one directory that can hold objects, in key order. */
async function children(dir: string, realRoot: string): Promise<Child[]> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (error) {
    if (isAbsent(error)) return []
    throw error
  }
  const result: Child[] = []
  for (const entry of entries) {
    if (entry.name.startsWith(RESERVED_SEGMENT_PREFIX) || entry.name.endsWith(METADATA_SIDECAR_SUFFIX)) continue
    let directory = entry.isDirectory()
    if (entry.isSymbolicLink()) {
      // Symlinked files count when they resolve inside the root; symlinked directories are never
      // followed (no escapes, no cycles).
      const target = path.join(dir, entry.name)
      const real = await realpath(target).catch(() => undefined)
      if (!real || !(real === realRoot || real.startsWith(realRoot + path.sep))) continue
      const info = await stat(target).catch(() => undefined)
      if (!info?.isFile()) continue
      directory = false
    } else if (!directory && !entry.isFile()) {
      continue
    }
    result.push({name: entry.name, sortKey: directory ? `${entry.name}/` : entry.name, directory})
  }
  return result.sort((a, b) => compareKeys(a.sortKey, b.sortKey))
}

async function containsObject(dir: string, realRoot: string): Promise<boolean> {
  for (const child of await children(dir, realRoot)) {
    if (!child.directory || await containsObject(path.join(dir, child.name), realRoot)) return true
  }
  return false
}

/**
 * Walks the store in key order, yielding objects (value: the key) and common prefixes.
 * Directories outside the prefix or wholly before the cursor are not read; a directory whose
 * keys all fold into one common prefix is probed for one object instead of walked.
 */
export async function* walkObjects(dir: string, dirKey: string, options: WalkOptions): AsyncGenerator<ListingEntry<string>> {
  const {prefix, delimiter, cursor, realRoot} = options
  for (const child of await children(dir, realRoot)) {
    const key = dirKey + child.sortKey
    if (!child.directory) {
      if (key.startsWith(prefix)) yield foldKey(key, key, prefix, delimiter)
      continue
    }
    if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue
    if (cursor && compareKeys(key, cursor.after) < 0 && !cursor.after.startsWith(key)) continue
    if (cursor?.prefix && key.startsWith(cursor.after)) continue
    if (delimiter && key.startsWith(prefix)) {
      const at = key.indexOf(delimiter, prefix.length)
      if (at !== -1 && at + delimiter.length <= key.length) {
        const commonPrefix = key.slice(0, at + delimiter.length)
        if (!isBeforeCursor(commonPrefix, cursor) && await containsObject(path.join(dir, child.name), realRoot)) {
          yield {kind: 'prefix', key: commonPrefix}
        }
        continue
      }
    }
    yield* walkObjects(path.join(dir, child.name), key, options)
  }
}
