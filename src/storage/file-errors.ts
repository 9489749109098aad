import {ExternalError, NotFoundError, UnavailableError, UserInputError} from '../errors/index.js'

export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

/** The path (or one of its parents) does not exist or is not a directory: the object is absent. */
export function isAbsent(error: unknown): boolean {
  const code = errnoOf(error)
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export function objectNotFound(key: string, uri: string): NotFoundError {
  return new NotFoundError('STORAGE_NOT_FOUND', `No object ${key} in ${uri}.`, {
    hint: 'Keys are case-sensitive; run `factflow storage browse` to see what the store holds.',
    details: {key, uri},
  })
}

/** A key that is both an object and a prefix of another (`a` and `a/b`): S3 allows it, a filesystem cannot. */
export function keyConflict(key: string, cause: unknown): UserInputError {
  return new UserInputError('STORAGE_KEY_CONFLICT', `Cannot write ${key}: a file store cannot hold an object whose key is also a prefix of another key.`, {
    hint: 'Use keys with an extension (executions/…/<message_id>.html) so no key is a folder of another, or use s3:// storage.',
    cause,
    details: {key},
  })
}

/** Maps a filesystem failure during a write or read to the error model (who must act). */
export function fileStoreError(error: unknown, action: string, key: string, root: string): Error {
  const code = errnoOf(error)
  if (code === 'ENAMETOOLONG') {
    return new UserInputError('STORAGE_INVALID_KEY', `Storage key ${JSON.stringify(key)} is invalid: a segment is longer than the filesystem allows.`, {
      hint: 'Keep each "/"-separated segment under 240 bytes on file:// storage.',
      cause: error,
      details: {key},
    })
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UserInputError('STORAGE_NOT_WRITABLE', `Cannot ${action} ${key}: ${root} is not writable (${code}).`, {
      hint: 'Fix the directory permissions, or point --storage / FACTFLOW_STORAGE_URI at a writable directory.',
      cause: error,
    })
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UnavailableError('STORAGE_FULL', `Cannot ${action} ${key}: the disk holding ${root} is full (${code}).`, {
      hint: 'Free disk space or move storage to a larger volume; the message will be retried.',
      cause: error,
    })
  }
  return new ExternalError('STORAGE_IO_ERROR', `Cannot ${action} ${key} in ${root}: ${(error as Error)?.message ?? String(error)}.`, {
    cause: error,
  })
}
