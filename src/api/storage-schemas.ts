import {z} from '@hono/zod-openapi'

import {anyObject} from './schemas.js'

/**
 * Storage resources of the HTTP API (docs/reference/server.md, "storage"), shared by the server routes and
 * (as types) the thin client, like `schemas.ts`.
 */

export const storageObjectSchema = z.object({
  key: z.string(), size: z.number(), content_type: z.string(), last_modified: z.string(), metadata: anyObject.optional(),
}).openapi('StorageObject')

export const storageListingSchema = z.object({
  objects: z.array(storageObjectSchema), common_prefixes: z.array(z.string()),
  total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean(),
}).openapi('StorageListing')

export const archiveJobSchema = z.object({
  id: z.string(), status: z.enum(['pending', 'running', 'completed', 'failed']), execution_id: z.string().nullable(), prefix: z.string(),
  object_count: z.number(), bytes: z.number().nullable(),
  key: z.string().nullable().openapi({description: 'the zip\'s object key (archives/<id>.zip) once completed'}),
  error: z.string().nullable(), created_at: z.string(), completed_at: z.string().nullable(),
  download_url: z.string().nullable(),
}).openapi('ArchiveJob')

/** The data of a `storage.object.created` event (`GET /storage/events`, `/executions/{id}/storage-stream`). */
export interface StorageObjectCreated {
  key: string
  size: number
  content_type: string
  execution_id: string | null
  route_id: string | null
  stage: string | null
  message_id: string | null
  sha256?: string
}

export type StorageObjectResource = z.infer<typeof storageObjectSchema>
export type StorageListing = z.infer<typeof storageListingSchema>
export type ArchiveJobResource = z.infer<typeof archiveJobSchema>
