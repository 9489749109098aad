import {stat} from 'node:fs/promises'
import path from 'node:path'

import {glob} from 'tinyglobby'
import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterOutput} from '../types.js'
import type {directoryListerConfig} from './catalog.js'

export function createAdapter(config: z.output<typeof directoryListerConfig>): Adapter {
  return {
    async process({payload, signal}) {
      const root = path.resolve(typeof payload.path === 'string' ? payload.path : config.path)
      const info = await stat(root).catch(() => undefined)
      if (!info?.isDirectory()) {
        throw new UserInputError('DIRECTORY_NOT_FOUND', `Directory ${root} does not exist or is not a directory.`, {
          hint: 'Check directory_lister.config.path (relative paths resolve from the working directory).',
        })
      }
      const include = Array.isArray(config.include) ? config.include : [config.include]
      const exclude = config.exclude === undefined ? [] : Array.isArray(config.exclude) ? config.exclude : [config.exclude]
      const files = (await glob(include, {cwd: root, ignore: exclude, absolute: true, onlyFiles: true, dot: false})).sort()
      const selected = config.max_files === undefined ? files : files.slice(0, config.max_files)
      const out: AdapterOutput[] = []
      for (const file of selected) {
        signal.throwIfAborted()
        const s = await stat(file)
        out.push({
          payload: {path: file, relative_path: path.relative(root, file), size: s.size, mtime: s.mtime.toISOString()},
          metadata: {origin: file},
        })
      }
      return out
    },
  }
}
