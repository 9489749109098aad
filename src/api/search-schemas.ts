import {z} from '@hono/zod-openapi'

import {anyObject} from './schemas.js'

/**
 * Search requests and answers of the HTTP API (docs/reference/server.md, search), shared by the server
 * routes and (as types) the thin client, like `schemas.ts`.
 */

export const searchHitSchema = z.object({
  id: z.string(), slot: z.string(), document_id: z.string(), segment_index: z.number(), text: z.string(),
  heading_path: z.array(z.unknown()), metadata: anyObject, score: z.number(),
}).openapi('SearchHit')
export const searchResponseSchema = z.object({
  query: z.string(), mode: z.enum(['vector', 'keyword', 'hybrid']), hits: z.array(searchHitSchema),
  warning: z.string().optional().openapi({description: 'Why the answer is not what was asked for (no pgvector: answered by keyword search)'}),
}).openapi('SearchResponse')

const name = z.string().min(1).max(200)
const baseBody = {
  query: z.string().min(1).max(10_000).refine((q) => q.trim() !== '', 'The query is blank'),
  slot: name.optional().openapi({description: 'Embedding slot (default: the only one; keyword search: every slot)'}),
  limit: z.number().int().min(1).max(200).optional().openapi({description: '1..200, default 10'}),
  source: z.string().min(1).max(2000).optional().openapi({description: 'Only documents whose id or source starts with this'}),
}
const language = name.regex(/^[a-z_]+$/, 'a text search configuration name such as simple, english').optional()
export const searchRequestSchemas: Record<'vector' | 'keyword' | 'hybrid', z.ZodType> = {
  vector: z.object(baseBody).strict().openapi('VectorSearchRequest'),
  keyword: z.object({...baseBody, language}).strict().openapi('KeywordSearchRequest'),
  hybrid: z.object({...baseBody, language}).strict().openapi('HybridSearchRequest'),
}
export const searchSlotSchema = z.object({slot: z.string(), model: z.string(), dimensions: z.number(), segments: z.number(), documents: z.number(), created_at: z.string()})
export const searchSourceSchema = z.object({document_id: z.string(), title: z.string().nullable(), url: z.string().nullable(), segments: z.number(), slots: z.array(z.string()), updated_at: z.string()})

export const searchSlotsSchema = z.object({slots: z.array(searchSlotSchema), vector: z.enum(['pgvector', 'exact', 'unavailable']), warning: z.string().optional()})
export const searchSourceListSchema = z.object({sources: z.array(searchSourceSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})

export type SearchResult = z.infer<typeof searchResponseSchema>
export type SearchSlots = z.infer<typeof searchSlotsSchema>
export type SearchSourceList = z.infer<typeof searchSourceListSchema>
