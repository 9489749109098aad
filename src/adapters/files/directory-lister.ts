import {stat} from 'node:fs/promises'
import path from 'node:path'

import {glob} from 'tinyglobby'
import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterOutput, AdapterResources} from '../types.js'
import type {directoryListerConfig} from './catalog.js'
import {isUnderRoot, resolveUnderRoot} from './file-root.js'

/**
 * directory_lister (docs/reference/adapters.md): one `{ path, relative_path, size, mtime }` per file under
 * the folder (`payload.path` when the message has one, else `config.path`; relative paths resolve
 * from `files.root`). The folder must be under `files.root` (`FILE_OUTSIDE_ROOT`, `FILES_ROOT_UNSET`),
 * whichever of the two named it, and files that are symbolic links out of the root are left out
 * with a warning. Emitted paths are real paths (links resolved).
 */
export function createAdapter(config: z.output<typeof directoryListerConfig>, resources: AdapterResources): Adapter {
  return {
    async process({payload, signal, logger}) {
      const named = typeof payload.path === 'string' ? payload.path : config.path
      const notFound = () => new UserInputError('DIRECTORY_NOT_FOUND', `Directory ${named} does not exist or is not a directory.`, {
        hint: 'Check directory_lister.config.path (relative paths resolve from files.root, by default the working directory).',
      })
      const root = await resolveUnderRoot(named, resources.files, notFound)
      const info = await stat(root).catch(() => undefined)
      if (!info?.isDirectory()) throw notFound()
      const include = Array.isArray(config.include) ? config.include : [config.include]
      const exclude = config.exclude === undefined ? [] : Array.isArray(config.exclude) ? config.exclude : [config.exclude]
      const files = (await glob(include, {cwd: root, ignore: exclude, absolute: true, onlyFiles: true, dot: false})).sort()
      const out: AdapterOutput[] = []
      let outside = 0
      for (const file of files) {
        if (config.max_files !== undefined && out.length >= config.max_files) break
        signal.throwIfAborted()
        if (!await isUnderRoot(file, resources.files)) {
          outside++
          continue
        }
        const s = await stat(file)
        out.push({
          payload: {path: file, relative_path: path.relative(root, file), size: s.size, mtime: s.mtime.toISOString()},
          metadata: {origin: file},
        })
      }
      if (outside > 0) logger.warn({outside, root: resources.files.root}, 'directory_lister left out files that link outside files.root')
      return out
    },
  }
}
