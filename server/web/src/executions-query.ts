import {query} from './api.js'

/** Rows per page of the executions list. */
export const PAGE_SIZE = 50

/**
 * The list's API path. `index.html` starts the unfiltered first page (`/executions?limit=50`) before the
 * bundle loads; `api()` takes that response only for exactly this path, so keep the spelling.
 */
export function executionsListPath(filters: {status?: string; config_id?: string; tag?: string; offset?: number}): string {
  return `/executions${query({status: filters.status, config_id: filters.config_id, tag: filters.tag, limit: PAGE_SIZE, offset: filters.offset || undefined})}`
}

