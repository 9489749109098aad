import {z} from '@hono/zod-openapi'

import {anyObject, API_PREFIX, errorSchema} from '../../src/api/schemas.js'

export {anyObject, API_PREFIX, errorSchema}

/** docs/reference/server.md, "Lists": `limit` 1..1000 (default 100) and `offset`. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({description: '1..1000'}),
  offset: z.coerce.number().int().min(0).default(0),
}

const errorContent = {content: {'application/json': {schema: errorSchema}}}

/** The error responses an operation documents. */
export function errors(...statuses: Array<400 | 401 | 404 | 409 | 413 | 422 | 429 | 503>) {
  const descriptions: Record<number, string> = {
    400: 'Bad request', 401: 'No trusted identity', 404: 'Not found', 409: 'State conflict', 413: 'Body too large',
    422: 'Request validation failed', 429: 'Over a limit', 503: 'A backing service is down',
  }
  return Object.fromEntries(statuses.map((s) => [s, {description: descriptions[s]!, ...errorContent}]))
}

export const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({description, content: {'application/json': {schema}}})

export const idParam = z.object({id: z.string().min(1).max(200).openapi({param: {name: 'id', in: 'path'}, description: 'id or unique tag'})})

/** Dates as ISO strings in every response. */
export function serialise<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
