import {UserInputError} from '../errors/index.js'

/** Longest key accepted, in UTF-8 bytes (S3's own limit, applied to every store). */
export const MAX_KEY_BYTES = 1024

/** Suffix of the file store's metadata sidecars; keys ending with it are reserved on every store. */
export const METADATA_SIDECAR_SUFFIX = '.meta.json'

/** Segments starting with this are reserved for the stores' own bookkeeping (e.g. staging files). */
export const RESERVED_SEGMENT_PREFIX = '.factflow'

const KEY_HINT = 'Use a relative, "/"-separated key such as executions/<execution_id>/<route_id>/<stage>/<message_id>.html.'

/** A key that is not a valid relative object key. Code `STORAGE_INVALID_KEY`; never retryable. */
export class StorageKeyError extends UserInputError {
  constructor(key: string, reason: string) {
    super('STORAGE_INVALID_KEY', `Storage key ${JSON.stringify(key)} is invalid: ${reason}.`, {
      hint: KEY_HINT,
      details: {key, reason},
    })
  }
}

function invalidReason(key: string, allowTrailingSlash: boolean): string | undefined {
  if (key.includes('\0')) return 'it contains a NUL character'
  if (key.includes('\\')) return 'it contains a backslash'
  if (key.startsWith('/')) return 'it starts with "/" (keys are relative to the store root)'
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`
  const segments = key.split('/')
  if (allowTrailingSlash && segments.length > 1 && segments.at(-1) === '') segments.pop()
  for (const segment of segments) {
    if (segment === '..') return 'it has a ".." segment'
    if (segment === '.') return 'it has a "." segment'
    // `a//b` would name the same file as `a/b` on disk but a different object on S3.
    if (segment === '') return 'it has an empty segment'
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) return `segments starting with "${RESERVED_SEGMENT_PREFIX}" are reserved`
  }
  return undefined
}

/**
 * Checks an object key and returns it unchanged. Rejected (StorageKeyError): empty, over 1024
 * bytes, NUL, backslash, leading `/`, `.`/`..`/empty segments, a trailing `/`, reserved
 * `.factflow*` segments and the `.meta.json` sidecar suffix.
 */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new StorageKeyError(String(key), 'it is empty')
  const reason = invalidReason(key, false)
    ?? (key.endsWith(METADATA_SIDECAR_SUFFIX) ? `the "${METADATA_SIDECAR_SUFFIX}" suffix is reserved for metadata sidecars` : undefined)
  if (reason) throw new StorageKeyError(key, reason)
  return key
}

/** Checks a list prefix: `''` (everything) or a key-like string that may end with `/`. */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix
  const reason = invalidReason(prefix, true)
  if (reason) throw new StorageKeyError(prefix, reason)
  return prefix
}

export interface ArtefactKeyParts {
  executionId: string
  routeId: string
  stage: string
  messageId: string
  /** With or without the leading dot (`html`, `.html`); omitted or empty for no extension. */
  extension?: string
}

/**
 * The key convention every built-in adapter uses:
 * `executions/<execution_id>/<route_id>/<stage>/<message_id>[.<ext>]`.
 * Throws StorageKeyError when a part is empty or contains `/`, `\` or NUL.
 */
export function artefactKey(parts: ArtefactKeyParts): string {
  const named: Array<[string, string]> = [
    ['executionId', parts.executionId], ['routeId', parts.routeId], ['stage', parts.stage], ['messageId', parts.messageId],
  ]
  const extension = (parts.extension ?? '').replace(/^\./, '')
  if (extension !== '') named.push(['extension', extension])
  for (const [name, value] of named) {
    if (typeof value !== 'string' || value === '' || /[/\\\0]/.test(value)) {
      throw new StorageKeyError(String(value), `${name} must be a non-empty string without "/", "\\" or NUL`)
    }
  }
  const base = `executions/${parts.executionId}/${parts.routeId}/${parts.stage}/${parts.messageId}`
  return validateKey(extension === '' ? base : `${base}.${extension}`)
}
