import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {UserInputError} from '../errors/index.js'
import {redactCredentials} from '../secrets/redact-url.js'
import type {Logger} from '../logging/logger.js'
import {FileObjectStore, type FileSync} from './file-object-store.js'
import {StorageKeyError, validatePrefix} from './keys.js'
import {createS3ObjectStore, type S3ObjectStoreOptions} from './s3-object-store.js'
import type {ObjectStore} from './types.js'

/** Where `factflow run` and `serve` keep artefacts unless told otherwise. */
export const DEFAULT_STORAGE_URI = 'file://./output/storage'

const ACCEPTED_FORMS = 'file://./relative/dir, file:///absolute/dir, a plain path (./output/storage), or s3://bucket/prefix'

export type StorageLocation =
  | {kind: 'file'; root: string}
  | {kind: 's3'; bucket: string; prefix: string}

export interface CreateObjectStoreOptions {
  /** Base of relative file paths (default: the working directory). */
  cwd?: string
  /** Where S3 settings are read from (default: `process.env`). */
  env?: Readonly<Record<string, string | undefined>>
  /** S3 settings; each one set here wins over its environment variable. */
  s3?: Omit<S3ObjectStoreOptions, 'bucket' | 'prefix' | 'logger'>
  /** File store: when objects reach the disk (default `each`; see `FileObjectStoreOptions.sync`). */
  sync?: FileSync
  /** File store: `inline` reads and writes small objects without thread-pool hops (see `FileObjectStoreOptions.smallIo`). */
  smallIo?: 'inline' | 'pool'
  logger?: Logger
}

function invalidUri(uri: string, reason: string): UserInputError {
  const shown = redactCredentials(uri)
  return new UserInputError('STORAGE_URI_INVALID', `Storage URI ${JSON.stringify(shown)} is invalid: ${reason}.`, {
    hint: `Use ${ACCEPTED_FORMS}.`,
    details: {uri: shown},
  })
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * Parses a storage URI: `file://./rel` and bare paths resolve against `cwd`; `file:///abs`
 * (percent-decoded); `s3://bucket[/prefix]` (the prefix gets a trailing `/`). Throws
 * UserInputError `STORAGE_URI_INVALID` for anything else.
 */
export function parseStorageUri(uri: string, cwd: string = process.cwd()): StorageLocation {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalidUri(String(uri), 'it is empty')
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length)
    const slash = rest.indexOf('/')
    const bucket = slash === -1 ? rest : rest.slice(0, slash)
    if (bucket.includes('@')) throw invalidUri(uri, 'credentials do not go in the URI (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)')
    if (!BUCKET_NAME.test(bucket)) throw invalidUri(uri, `"${bucket}" is not a valid bucket name (3-63 of a-z, 0-9, ".", "-")`)
    let prefix = slash === -1 ? '' : rest.slice(slash + 1)
    if (prefix !== '' && !prefix.endsWith('/')) prefix += '/'
    try {
      validatePrefix(prefix)
    } catch (error) {
      if (error instanceof StorageKeyError) throw invalidUri(uri, `the prefix ${String(error.details?.reason ?? 'is invalid')}`)
      throw error
    }
    return {kind: 's3', bucket, prefix}
  }
  if (uri.startsWith('file:')) {
    const rest = uri.slice('file:'.length)
    if (rest.startsWith('//') && !rest.startsWith('///') && !rest.startsWith('//localhost/')) {
      const relative = rest.slice(2)
      if (relative === '') throw invalidUri(uri, 'it names no directory')
      return {kind: 'file', root: path.resolve(cwd, relative)}
    }
    if (!rest.startsWith('/')) throw invalidUri(uri, 'a file URI starts with file:// (file://./rel or file:///abs)')
    try {
      return {kind: 'file', root: fileURLToPath(uri)}
    } catch (error) {
      throw invalidUri(uri, (error as Error).message)
    }
  }
  // Two or more letters before ":" is a scheme; one letter is a Windows drive.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(uri)
  if (scheme) throw invalidUri(uri, `the scheme "${scheme[1]}:" is not supported`)
  return {kind: 'file', root: path.resolve(cwd, uri)}
}

/**
 * S3 settings from the environment: endpoint from `FACTFLOW_S3_ENDPOINT`, `AWS_ENDPOINT_URL_S3`
 * or `AWS_ENDPOINT_URL`; region from `AWS_REGION` / `AWS_DEFAULT_REGION`; keys from
 * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); path style from
 * `FACTFLOW_S3_FORCE_PATH_STYLE` (`true`/`false`, default: true when an endpoint is set).
 */
export function s3SettingsFromEnv(env: Readonly<Record<string, string | undefined>>): Omit<S3ObjectStoreOptions, 'bucket'> {
  const pick = (...names: string[]) => names.map((name) => env[name]).find((value) => value !== undefined && value !== '')
  const settings: Omit<S3ObjectStoreOptions, 'bucket'> = {}
  const endpoint = pick('FACTFLOW_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL')
  if (endpoint) settings.endpoint = endpoint
  const region = pick('AWS_REGION', 'AWS_DEFAULT_REGION')
  if (region) settings.region = region
  const accessKeyId = pick('AWS_ACCESS_KEY_ID')
  const secretAccessKey = pick('AWS_SECRET_ACCESS_KEY')
  if (accessKeyId && secretAccessKey) {
    const sessionToken = pick('AWS_SESSION_TOKEN')
    settings.credentials = {accessKeyId, secretAccessKey, ...(sessionToken ? {sessionToken} : {})}
  }
  const pathStyle = pick('FACTFLOW_S3_FORCE_PATH_STYLE')
  if (pathStyle !== undefined) settings.forcePathStyle = /^(1|true|yes)$/i.test(pathStyle)
  return settings
}

/**
 * The ObjectStore a storage URI names (forms: see `parseStorageUri`). Builds no connection: an
 * unreachable S3 endpoint surfaces on the first request as UnavailableError `STORAGE_UNAVAILABLE`.
 */
export async function createObjectStore(uri: string, options: CreateObjectStoreOptions = {}): Promise<ObjectStore> {
  const location = parseStorageUri(uri, options.cwd)
  if (location.kind === 'file') {
    return new FileObjectStore({root: location.root, sync: options.sync, smallIo: options.smallIo, logger: options.logger})
  }
  const fromEnv = s3SettingsFromEnv(options.env ?? process.env)
  const explicit = Object.fromEntries(Object.entries(options.s3 ?? {}).filter(([, value]) => value !== undefined))
  return createS3ObjectStore({...fromEnv, ...explicit, bucket: location.bucket, prefix: location.prefix, logger: options.logger})
}
