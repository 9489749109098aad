import type {Readable} from 'node:stream'

import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'
import type {Context} from 'hono'

import {archiveJobSchema, storageListingSchema, storageObjectSchema} from '../../src/api/storage-schemas.js'
import {createArchiveService, type ArchiveJob} from '../../src/services/archive-service.js'
import {createStorageService} from '../../src/services/storage-service.js'
import type {StoredObject} from '../../src/storage/types.js'
import type {AppEnv, AppServices} from '../app.js'
import {errorBody} from '../errors.js'
import {sseResponse} from '../sse.js'
import {API_PREFIX, errors, idParam, json, pageQuery, serialise} from './common.js'

const objectSchema = storageObjectSchema
const listSchema = storageListingSchema
const archiveSchema = archiveJobSchema
const sse = {200: {description: 'text/event-stream', content: {'text/event-stream': {schema: z.string()}}}}
const text = z.string().min(1).max(1024)
const keyParam = z.object({key: text.openapi({param: {name: 'key', in: 'path'}, description: 'the object key, `/` encoded as %2F (or written as path segments)'})})

/**
 * A Node stream as a response body that reads a chunk only when the socket asks for one, so a large
 * object goes out in flat memory (Readable.toWeb buffers ahead on Node 20).
 */
function pullBody(stream: Readable): ReadableStream<Uint8Array> {
  const chunks = stream[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const {value, done} = await chunks.next() as IteratorResult<Buffer>
      if (done) controller.close()
      else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
    },
    cancel() { stream.destroy() },
  }, {highWaterMark: 0})
}

const etagOf = (object: StoredObject) => (object.metadata?.sha256 ? `"${object.metadata.sha256}"` : undefined)

export function registerStorageRoutes(app: OpenAPIHono<AppEnv>, {runtime, options}: AppServices) {
  const storage = createStorageService(runtime)
  const archives = createArchiveService(runtime)
  const base = `${API_PREFIX}/storage`
  const archiveJson = ({owner: _owner, ...job}: ArchiveJob) => ({
    ...serialise(job), download_url: job.status === 'completed' ? `${API_PREFIX}/content/archive/${job.id}/download` : null,
  })
  const owner = (c: Context<AppEnv>) => c.get('identity')?.user ?? null

  app.openapi(createRoute({
    method: 'get', path: `${base}/objects`, tags: ['storage'], summary: 'Browse objects: prefix, delimiter (common_prefixes), filters, paging',
    request: {
      query: z.object({
        ...pageQuery,
        prefix: z.string().max(1024).optional(), delimiter: z.string().min(1).max(8).optional(),
        execution_id: z.string().min(1).max(200).optional().openapi({description: 'execution id or tag'}),
        route_id: text.optional(), stage: text.optional(), extension: z.string().min(1).max(32).optional(),
        include_metadata: z.enum(['true', 'false']).default('false'),
      }),
    },
    responses: {200: json(listSchema), ...errors(400, 404, 422)},
  }), async (c) => {
    const q = c.req.valid('query')
    const listing = await storage.browse({...q, include_metadata: q.include_metadata === 'true'})
    return c.json(serialise(listing) as never, 200)
  })

  const sendMetadata = async (c: Context, key: string) => c.json(serialise(await storage.metadata(key)), 200)
  const sendObject = async (c: Context, key: string, extra: Record<string, string> = {}) => {
    const opened = await storage.open(key, c.req.header('range'))
    const etag = etagOf(opened.head)
    // Artefacts are untrusted (crawled HTML, scripts): the browser opens them in a sandbox, never as
    // a page of the web view's origin that could call the API with the user's identity.
    const headers: Record<string, string> = {
      ...extra, 'content-type': opened.head.content_type, 'accept-ranges': 'bytes', 'last-modified': opened.head.last_modified.toUTCString(),
      'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff',
      ...(etag ? {etag} : {}),
    }
    if (etag && c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
      return c.body(null, 304, headers)
    }
    if (opened.unsatisfiable) {
      return c.json(errorBody('STORAGE_RANGE_NOT_SATISFIABLE', `The range ${c.req.header('range')} is outside the object's ${opened.head.size} bytes.`), 416,
        {'content-range': `bytes */${opened.head.size}`})
    }
    const {stream} = await opened.read()
    const range = opened.range
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${opened.head.size}`
    headers['content-length'] = String(range ? range.end - range.start + 1 : opened.head.size)
    return c.body(pullBody(stream), range ? 206 : 200, headers)
  }

  const objectResponses = {
    200: {description: 'The bytes, with content type, ETag and Accept-Ranges', content: {'application/octet-stream': {schema: z.string()}}},
    206: {description: 'The requested byte range'}, 304: {description: 'Not modified (If-None-Match)'},
    416: {description: 'Range not satisfiable', content: {'application/json': {schema: z.object({error_code: z.string()})}}},
  }
  app.openapi(createRoute({
    method: 'get', path: `${base}/objects/{key}/metadata`, tags: ['storage'], summary: 'An object\'s metadata',
    request: {params: keyParam}, responses: {200: json(objectSchema), ...errors(400, 404, 422)},
  }), (c) => sendMetadata(c, c.req.valid('param').key) as never)
  app.openapi(createRoute({
    method: 'get', path: `${base}/objects/{key}`, tags: ['storage'], summary: 'An object\'s bytes, streamed (Range and If-None-Match honoured)',
    request: {params: keyParam}, responses: {...objectResponses, ...errors(400, 404, 422)},
  }), (c) => sendObject(c, c.req.valid('param').key) as never)
  // Keys written as path segments (`/storage/objects/executions/…/x.md`); `…/metadata` first.
  app.get(`${base}/objects/:key{.+}/metadata`, (c) => sendMetadata(c, c.req.param('key')))
  app.get(`${base}/objects/:key{.+}`, (c) => sendObject(c, c.req.param('key')))

  app.openapi(createRoute({
    method: 'get', path: `${base}/events`, tags: ['storage'], summary: 'storage.object.created events of every execution (SSE; resumes after Last-Event-ID)',
    request: {query: z.object({execution_id: z.string().min(1).max(200).optional(), route_id: text.optional()})},
    responses: {...sse, ...errors(404, 422)},
  }), async (c) => sseResponse(c, await storage.events(c.req.valid('query')), options.heartbeatMs) as never)

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/executions/{id}/storage-stream`, tags: ['executions', 'storage'],
    summary: 'The execution\'s storage.object.created events (SSE; resumes after Last-Event-ID; ends with the execution)',
    request: {params: idParam}, responses: {...sse, ...errors(404)},
  }), async (c) => sseResponse(c, await storage.executionStream(c.req.valid('param').id), options.heartbeatMs) as never)

  const archiveBody = z.object({
    execution_id: z.string().min(1).max(200).optional().openapi({description: 'execution id or tag: its artefacts'}),
    prefix: z.string().max(1024).optional().openapi({description: 'every object under this prefix'}),
  }).strict().refine((b) => (b.execution_id === undefined) !== (b.prefix === undefined), {message: 'Give exactly one of execution_id and prefix.'})
  app.openapi(createRoute({
    method: 'post', path: `${API_PREFIX}/content/archive`, tags: ['storage'], summary: 'Zip an execution\'s artefacts or a prefix (a background job)',
    request: {body: {content: {'application/json': {schema: archiveBody}}, required: true}},
    responses: {202: json(archiveSchema, 'Job started'), ...errors(400, 404, 422)},
  }), async (c) => c.json(archiveJson(await archives.start(c.req.valid('json'), owner(c))) as never, 202))

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/content/archive/{id}`, tags: ['storage'], summary: 'An archive job\'s status',
    request: {params: idParam}, responses: {200: json(archiveSchema), ...errors(404)},
  }), async (c) => c.json(archiveJson(await archives.get(c.req.valid('param').id, owner(c))) as never, 200))

  app.openapi(createRoute({
    method: 'get', path: `${API_PREFIX}/content/archive/{id}/download`, tags: ['storage'],
    summary: 'The zip of a completed archive job (the object archives/<id>.zip: ETag, Range and If-None-Match honoured)',
    request: {params: idParam},
    responses: {...objectResponses, 200: {description: 'application/zip', content: {'application/zip': {schema: z.string()}}}, ...errors(404, 409)},
  }), async (c) => {
    const {key, job} = await archives.download(c.req.valid('param').id, owner(c))
    const name = job.execution_id ? `execution-${job.execution_id}` : `archive-${job.id}`
    return sendObject(c, key, {'content-disposition': `attachment; filename="${name}.zip"`}) as never
  })
}
