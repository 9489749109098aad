import type {PageOptions} from '../db/paging.js'
import {pageBounds} from '../db/paging.js'
import {NotFoundError} from '../errors/index.js'
import {TERMINAL_EVENTS, nextEventId} from '../runtime/execution-event-log.js'
import type {Runtime} from '../runtime/runtime.js'
import {contentTypeForKey} from '../storage/content-type.js'
import {StorageKeyError, validateKey, validatePrefix} from '../storage/keys.js'
import {compareKeys} from '../storage/listing.js'
import type {ByteRange, ObjectStream, StoredObject} from '../storage/types.js'
import type {EventSource} from './execution-service.js'
import {StorageEventHub} from './storage-events.js'

export interface BrowseOptions extends PageOptions {
  prefix?: string
  delimiter?: string
  /** Id or tag: objects under `executions/<id>/` (the artefact key convention). */
  execution_id?: string
  route_id?: string
  stage?: string
  /** Without the dot (`md`, `json`). */
  extension?: string
  include_metadata?: boolean
}

export interface BrowseResult {
  objects: StoredObject[]
  common_prefixes: string[]
  /** Objects and common prefixes together, in key order, as paging counts them. */
  total: number
  limit: number
  offset: number
  has_more: boolean
}

/**
 * A key (or prefix) from a request, checked as the store checks keys and once more after
 * percent-decoding, so a key that only turns into a traversal when decoded again (`%2e%2e`,
 * `..%2f`) is refused too, never passed on to a store that might decode it.
 * @throws StorageKeyError `STORAGE_INVALID_KEY` (400).
 */
export function checkRequestKey(raw: string, kind: 'key' | 'prefix'): string {
  const check = kind === 'key' ? validateKey : validatePrefix
  check(raw)
  let current = raw
  for (let round = 0; round < 3; round++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(current)
    } catch {
      break
    }
    if (decoded === current) break
    try {
      validatePrefix(decoded)
    } catch {
      throw new StorageKeyError(raw, 'it holds a percent-encoded traversal, absolute path, backslash or NUL')
    }
    current = decoded
  }
  return raw
}

/** A `Range` header for one range, resolved against the object's size; undefined to send it whole. */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '')
  // Several ranges, or a unit other than bytes: answering with the whole object is allowed (RFC 9110).
  if (!match || (match[1] === '' && match[2] === '')) return undefined
  let start: number
  let end: number
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  }
  if (start >= size || end < start) return 'unsatisfiable'
  return {start, end}
}

/** Most keys a browse reads to count and page them (objects and prefixes after filtering are counted, not kept). */
const BROWSE_SCAN_PAGE = 1000

/**
 * Storage for the HTTP API (docs/reference/server.md, "storage"): browse with filters and offset paging,
 * stream an object (whole or a range), its metadata, and the `storage.object.created` streams.
 */
export function createStorageService(runtime: Runtime) {
  const store = runtime.storage
  const hub = new StorageEventHub(store)

  async function executionId(idOrTag: string): Promise<string> {
    return (await (await runtime.store()).executions.resolve(idOrTag)).id
  }

  return {
    async browse(options: BrowseOptions): Promise<BrowseResult> {
      const bounds = pageBounds(options)
      const userPrefix = checkRequestKey(options.prefix ?? '', 'prefix')
      // The key convention `executions/<id>/<route>/<stage>/…` narrows the listing where it can.
      const segments: Array<string | undefined> = ['executions', options.execution_id === undefined ? undefined : await executionId(options.execution_id), options.route_id, options.stage]
      const fixed: string[] = []
      for (const segment of segments) {
        if (segment === undefined) break
        fixed.push(segment)
      }
      const conventionPrefix = fixed.length > 1 ? `${fixed.join('/')}/` : ''
      let prefix = userPrefix
      if (conventionPrefix !== '') {
        if (conventionPrefix.startsWith(userPrefix)) prefix = conventionPrefix
        else if (!userPrefix.startsWith(conventionPrefix)) return {objects: [], common_prefixes: [], total: 0, ...bounds, has_more: false}
      }
      checkRequestKey(prefix, 'prefix')
      const wanted = (key: string) => {
        const parts = key.split('/')
        if (options.execution_id !== undefined || options.route_id !== undefined || options.stage !== undefined) {
          if (parts[0] !== 'executions' || parts.length < 5) return false
          if (options.route_id !== undefined && parts[2] !== options.route_id) return false
          if (options.stage !== undefined && parts[3] !== options.stage) return false
        }
        return options.extension === undefined || key.toLowerCase().endsWith(`.${options.extension.replace(/^\./, '').toLowerCase()}`)
      }
      // One pass over the listing: counts every entry, keeps only the page's.
      const page: Array<{kind: 'object'; object: StoredObject} | {kind: 'prefix'; key: string}> = []
      let total = 0
      let cursor: string | undefined
      do {
        const listed = await store.list(prefix, {delimiter: options.delimiter || undefined, limit: BROWSE_SCAN_PAGE, cursor})
        const entries = [
          ...listed.objects.filter((object) => wanted(object.key)).map((object) => ({kind: 'object' as const, key: object.key, object})),
          ...listed.common_prefixes.map((key) => ({kind: 'prefix' as const, key})),
        ].sort((a, b) => compareKeys(a.key, b.key))
        for (const entry of entries) {
          if (total >= bounds.offset && page.length < bounds.limit) page.push(entry.kind === 'object' ? {kind: 'object', object: entry.object} : entry)
          total++
        }
        cursor = listed.next_cursor
      } while (cursor !== undefined)
      const objects = page.flatMap((entry) => (entry.kind === 'object' ? [entry.object] : []))
      const described = options.include_metadata
        ? await Promise.all(objects.map(async (object) => (await store.head(object.key)) ?? object))
        : objects.map((object) => ({...object, content_type: object.content_type || contentTypeForKey(object.key)}))
      return {
        objects: described, common_prefixes: page.flatMap((entry) => (entry.kind === 'prefix' ? [entry.key] : [])),
        total, ...bounds, has_more: bounds.offset + page.length < total,
      }
    },

    /** The object described, and streamed whole or in the range asked for (416 when outside it). */
    async open(key: string, rangeHeader?: string): Promise<{head: StoredObject; range?: ByteRange; unsatisfiable?: boolean; read(): Promise<ObjectStream>}> {
      checkRequestKey(key, 'key')
      const head = await store.head(key)
      if (!head) throw new NotFoundError('STORAGE_NOT_FOUND', `No object ${JSON.stringify(key)} in storage.`, {hint: 'Browse GET /api/v1/storage/objects to find its key.'})
      const range = parseRange(rangeHeader, head.size)
      if (range === 'unsatisfiable') return {head, unsatisfiable: true, read: () => Promise.reject(new Error('unsatisfiable range'))}
      return {head, range, read: () => store.getStream(key, range)}
    },

    async metadata(key: string): Promise<StoredObject> {
      checkRequestKey(key, 'key')
      const head = await store.head(key)
      if (!head) throw new NotFoundError('STORAGE_NOT_FOUND', `No object ${JSON.stringify(key)} in storage.`, {hint: 'Browse GET /api/v1/storage/objects to find its key.'})
      return head
    },

    /** `GET /storage/events`: every execution's objects (or one's), without end. */
    async events(filter: {execution_id?: string; route_id?: string}): Promise<EventSource> {
      const id = filter.execution_id === undefined ? undefined : await executionId(filter.execution_id)
      return {
        isTerminal: () => false,
        subscribe: async (after, listener) => hub.subscribe(after, {execution_id: id, route_id: filter.route_id}, listener),
      }
    },

    /** `GET /executions/{id}/storage-stream`: the execution's objects, ending with its terminal event. */
    async executionStream(idOrTag: string): Promise<EventSource> {
      const record = await (await runtime.store()).executions.resolve(idOrTag)
      const isTerminal = (event: {event: string}) => TERMINAL_EVENTS.has(event.event)
      return {
        isTerminal,
        async subscribe(after, listener) {
          const unsubscribe = hub.subscribe(after, {execution_id: record.id}, listener)
          const end = (status: string) => listener({id: nextEventId(), event: `execution.${status}`, timestamp: new Date().toISOString(), data: {execution_id: record.id, status}})
          const running = runtime.executions.get(record.id)
          if (running) void running.outcome.then(({result}) => end(result.status))
          else end(record.status === 'running' ? 'interrupted' : record.status)
          return unsubscribe
        },
      }
    },

    close: () => hub.close(),
  }
}

export type StorageService = ReturnType<typeof createStorageService>
