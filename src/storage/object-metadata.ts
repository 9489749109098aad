import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'

import {UserInputError} from '../errors/index.js'
import {contentTypeForKey} from './content-type.js'
import type {ObjectMetadata, PutMetadata} from './types.js'

/** Metadata names: lower snake case, so they survive S3's lower-casing of `x-amz-meta-*` headers. */
const METADATA_NAME = /^[a-z][a-z0-9_]{0,63}$/

/** Fields the store computes on every put; values passed for them are ignored. */
const COMPUTED = new Set(['content_length', 'sha256', 'created_at'])

export interface PreparedObject {
  bytes: Buffer
  metadata: ObjectMetadata
}

/**
 * Turns a put's body and caller metadata into the bytes and the full stored metadata: length,
 * sha256 and created_at are computed; content_type defaults to a guess from the key's extension;
 * undefined values are dropped. Throws UserInputError `STORAGE_INVALID_METADATA` for a name that
 * is not lower snake case or a value that is neither string nor finite number.
 */
export function prepareObject(key: string, body: Uint8Array | string, given: PutMetadata = {}, now = new Date()): PreparedObject {
  const bytes = typeof body === 'string'
    ? Buffer.from(body, 'utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  return {bytes, metadata: objectMetadata(key, given, bytes.byteLength, createHash('sha256').update(bytes).digest('hex'), now)}
}

/**
 * `prepareObject` for a local file: its length and sha256 are read in one streamed pass (flat
 * memory whatever its size). Same errors as `prepareObject`.
 */
export async function prepareFileObject(key: string, file: string, given: PutMetadata = {}, now = new Date()): Promise<ObjectMetadata> {
  objectMetadata(key, given, 0, '', now)
  const hash = createHash('sha256')
  let length = 0
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    length += chunk.byteLength
  }
  return objectMetadata(key, given, length, hash.digest('hex'), now)
}

function objectMetadata(key: string, given: PutMetadata, length: number, sha256: string, now: Date): ObjectMetadata {
  const extra: Record<string, string | number> = {}
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || COMPUTED.has(name) || name === 'content_type') continue
    if (!METADATA_NAME.test(name)) {
      throw new UserInputError('STORAGE_INVALID_METADATA', `Metadata name ${JSON.stringify(name)} is invalid.`, {
        hint: 'Metadata names are lower snake case (a-z, 0-9, _), starting with a letter, at most 64 characters.',
      })
    }
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new UserInputError('STORAGE_INVALID_METADATA', `Metadata ${name} must be a string or a finite number.`, {
        hint: 'Convert the value to a string before storing it.',
      })
    }
    extra[name] = value
  }
  const metadata: ObjectMetadata = {
    ...extra,
    content_type: typeof given.content_type === 'string' && given.content_type !== '' ? given.content_type : contentTypeForKey(key),
    content_length: length,
    sha256,
    created_at: now.toISOString(),
  }
  return metadata
}
