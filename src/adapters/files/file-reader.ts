import {createHash} from 'node:crypto'
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {fileReaderConfig} from './catalog.js'
import {resolveUnderRoot} from './file-root.js'

const CONTENT_TYPES: Record<string, string> = {
  '.md': 'text/markdown', '.markdown': 'text/markdown', '.html': 'text/html', '.htm': 'text/html',
  '.txt': 'text/plain', '.json': 'application/json', '.pdf': 'application/pdf', '.xml': 'application/xml',
  '.csv': 'text/csv', '.yaml': 'application/yaml', '.yml': 'application/yaml',
}

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * file_reader (docs/reference/adapters.md): stores the file `payload.path` names. The path must be under
 * `files.root` after `..` and symbolic links are resolved (`FILE_OUTSIDE_ROOT`; `FILES_ROOT_UNSET`
 * on a server without a root): a payload cannot name /proc/self/environ or ../../secrets.
 */
export function createAdapter(config: z.output<typeof fileReaderConfig>, resources: AdapterResources): Adapter {
  return {
    async process(context) {
      const named = context.payload.path
      if (typeof named !== 'string') {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'file_reader needs a string `path` in the payload.', {
          hint: 'Put directory_lister before file_reader, or send { path } in the init payload.',
        })
      }
      const notFound = () => new UserInputError('FILE_NOT_FOUND', `File ${named} does not exist.`)
      const file = await resolveUnderRoot(named, resources.files, notFound)
      const info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) throw notFound()
      if (info.size > config.max_bytes) {
        throw new UserInputError('FILE_TOO_LARGE', `File ${file} has ${info.size} bytes, over max_bytes ${config.max_bytes}.`, {
          hint: 'Raise file_reader.config.max_bytes or exclude the file.',
        })
      }
      const body = await readFile(file, {signal: context.signal})
      const contentType = contentTypeOf(file)
      const contentHash = createHash('sha256').update(body).digest('hex')
      const key = context.storageKey(path.extname(file).toLowerCase() || '.bin')
      await context.storage.put(key, body, {
        content_type: contentType,
        execution_id: context.executionId, route_id: context.routeId, stage: context.stage,
        correlation_id: context.message.correlation_id, message_id: context.message.message_id,
        source_url: `file://${file}`, document_id: `file://${file}`,
      })
      return {
        payload: {path: file, storage_key: key, content_type: contentType, content_hash: contentHash, size: info.size},
        metadata: {origin: file, document_id: `file://${file}`, content_hash: contentHash},
      }
    },
  }
}
