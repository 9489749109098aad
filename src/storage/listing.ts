import {UserInputError} from '../errors/index.js'

/** One item of a listing, in key order: an object or a common prefix (S3 semantics). */
export type ListingEntry<T> = {kind: 'object'; key: string; value: T} | {kind: 'prefix'; key: string}

interface Cursor {
  /** Last key or common prefix returned. */
  after: string
  /** When `after` is a common prefix, every key under it was already folded into it. */
  prefix: boolean
}

/** S3 orders keys by their UTF-8 bytes; JS string comparison orders by UTF-16 units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** With a delimiter, the part of `key` after `prefix` up to the delimiter becomes a common prefix. */
export function foldKey<T>(key: string, value: T, prefix: string, delimiter: string | undefined): ListingEntry<T> {
  if (delimiter) {
    const at = key.indexOf(delimiter, prefix.length)
    if (at !== -1) return {kind: 'prefix', key: key.slice(0, at + delimiter.length)}
  }
  return {kind: 'object', key, value}
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.prefix ? 1 : 0]), 'utf8').toString('base64url')
}

export function decodeCursor(token: string): Cursor {
  try {
    const [after, prefix] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[]
    if (typeof after === 'string' && (prefix === 0 || prefix === 1)) return {after, prefix: prefix === 1}
  } catch {
    // fall through to the coded error
  }
  throw new UserInputError('STORAGE_INVALID_CURSOR', 'The list cursor is not one this store issued.', {
    hint: 'Pass the next_cursor of a previous list call unchanged, or omit it to start from the beginning.',
  })
}

/** True when the entry was already returned before `cursor`. */
export function isBeforeCursor(key: string, cursor: Cursor | undefined): boolean {
  if (!cursor) return false
  return compareKeys(key, cursor.after) <= 0 || (cursor.prefix && key.startsWith(cursor.after))
}

export function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserInputError('STORAGE_INVALID_LIST_OPTIONS', `List limit must be a positive integer, got ${limit}.`, {
      hint: 'Omit limit to list everything, or pass 1 or more.',
    })
  }
}

export interface CollectedListing<T> {
  objects: T[]
  common_prefixes: string[]
  next_cursor?: string
}

/**
 * Folds a key-ordered stream of entries into a page: drops what precedes the cursor and repeated
 * common prefixes, stops after `limit` entries (objects and prefixes count alike, as in S3's
 * MaxKeys) and issues `next_cursor` only when another entry exists. Stops consuming the stream as
 * soon as the page is decided.
 */
export async function collectListing<T>(
  entries: AsyncIterable<ListingEntry<T>>,
  options: {limit?: number; cursor?: string},
): Promise<CollectedListing<T>> {
  checkLimit(options.limit)
  const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
  const result: CollectedListing<T> = {objects: [], common_prefixes: []}
  const seenPrefixes = new Set<string>()
  let count = 0
  let last: ListingEntry<T> | undefined
  for await (const entry of entries) {
    if (isBeforeCursor(entry.key, cursor)) continue
    if (entry.kind === 'prefix' && seenPrefixes.has(entry.key)) continue
    if (options.limit !== undefined && count === options.limit) {
      result.next_cursor = encodeCursor({after: last!.key, prefix: last!.kind === 'prefix'})
      break
    }
    if (entry.kind === 'prefix') {
      seenPrefixes.add(entry.key)
      result.common_prefixes.push(entry.key)
    } else {
      result.objects.push(entry.value)
    }
    count += 1
    last = entry
  }
  return result
}
