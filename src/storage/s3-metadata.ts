import {UserInputError} from '../errors/index.js'
import {contentTypeForKey} from './content-type.js'
import type {ObjectMetadata} from './types.js'

/** S3's limit on user metadata: UTF-8 bytes of every `x-amz-meta-*` name and value together. */
export const S3_USER_METADATA_LIMIT = 2048

/** Lists which metadata names held numbers (headers only carry strings). Hyphenated, so no metadata name can clash. */
const NUMERIC_NAMES = 'factflow-numeric'

/**
 * Header values must be printable ASCII and lose surrounding whitespace, so everything else
 * (non-ASCII titles, spaces, `%` itself) is percent-encoded; `decodeURIComponent` reverses it.
 */
function encodeValue(value: string): string {
  return value.replace(/[^\x21-\x24\x26-\x7e]+/gu, (run) =>
    [...Buffer.from(run, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}

function decodeValue(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** ObjectMetadata → ContentType and `x-amz-meta-*` (content_length travels as Content-Length). */
export function toS3Metadata(key: string, metadata: ObjectMetadata): {ContentType: string; Metadata: Record<string, string>} {
  const headers: Record<string, string> = {}
  const numeric: string[] = []
  for (const [name, value] of Object.entries(metadata)) {
    if (value === undefined || name === 'content_type' || name === 'content_length') continue
    if (typeof value === 'number') numeric.push(name)
    headers[name] = encodeValue(String(value))
  }
  if (numeric.length > 0) headers[NUMERIC_NAMES] = numeric.join(',')
  const size = Object.entries(headers).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0)
  if (size > S3_USER_METADATA_LIMIT) {
    throw new UserInputError('STORAGE_METADATA_TOO_LARGE', `Metadata of ${key} takes ${size} bytes as S3 headers, over S3's ${S3_USER_METADATA_LIMIT}.`, {
      hint: 'Shorten long values (title, source_url) or keep them in the object body instead of its metadata.',
      details: {key, size},
    })
  }
  return {ContentType: metadata.content_type, Metadata: headers}
}

export interface S3ObjectHeaders {
  ContentType?: string
  ContentLength?: number
  LastModified?: Date
  Metadata?: Record<string, string>
}

/**
 * Headers of a stored object → ObjectMetadata. Objects written by other tools may lack sha256 and
 * created_at: sha256 is then `''` (get() fills it from the body) and created_at the last-modified time.
 */
export function fromS3Metadata(key: string, headers: S3ObjectHeaders): ObjectMetadata {
  const raw = headers.Metadata ?? {}
  const numeric = new Set((raw[NUMERIC_NAMES] ?? '').split(',').filter(Boolean))
  const metadata: ObjectMetadata = {
    content_type: headers.ContentType ?? contentTypeForKey(key),
    content_length: headers.ContentLength ?? 0,
    sha256: '',
    created_at: (headers.LastModified ?? new Date(0)).toISOString(),
  }
  for (const [name, value] of Object.entries(raw)) {
    if (name === NUMERIC_NAMES) continue
    const decoded = decodeValue(value)
    metadata[name] = numeric.has(name) ? Number(decoded) : decoded
  }
  return metadata
}
