import {realpath} from 'node:fs/promises'
import path from 'node:path'

import {UserInputError} from '../../errors/index.js'

/**
 * Where file adapters may read (`files.root` of the settings, docs/reference/server.md): an absolute folder,
 * or null when nothing may be read (`factflow serve` until `files.root` is set).
 */
export interface FileAccess {
  readonly root: string | null
}

/** True when `target` is `root` or below it (both absolute and normalised). */
function isWithin(root: string, target: string): boolean {
  const relative = path.relative(root, target)
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

/**
 * The real path of `target` (relative paths resolve from the root), refused when it is not under
 * the root: first as written (`..` resolved, so nothing outside is even looked at), then after
 * resolving symbolic links (a link inside the root pointing out is refused too).
 * @throws UserInputError `FILES_ROOT_UNSET` (no root), `FILE_OUTSIDE_ROOT`; `missing` when it does not exist.
 */
export async function resolveUnderRoot(target: string, access: FileAccess, missing: () => Error): Promise<string> {
  if (access.root === null) {
    throw new UserInputError('FILES_ROOT_UNSET', `${target} is not read: this server has no files.root, so file adapters may read nothing.`)
  }
  const written = path.resolve(access.root, target)
  const root = await realpath(access.root).catch(() => path.resolve(access.root!))
  if (!isWithin(path.resolve(access.root), written) && !isWithin(root, written)) throw outsideRoot(target, access.root)
  const real = await realpath(written).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw missing()
    throw error
  })
  if (!isWithin(root, real)) throw outsideRoot(target, access.root)
  return real
}

/** True when `file` (an absolute real path) is under the root's real path; for listings. */
export async function isUnderRoot(file: string, access: FileAccess): Promise<boolean> {
  if (access.root === null) return false
  const root = await realpath(access.root).catch(() => path.resolve(access.root!))
  const real = await realpath(file).catch(() => undefined)
  return real !== undefined && isWithin(root, real)
}

function outsideRoot(target: string, root: string): UserInputError {
  return new UserInputError('FILE_OUTSIDE_ROOT', `${target} is outside the files root ${root}; file adapters read nothing outside it.`, {
    details: {path: target, root},
  })
}
