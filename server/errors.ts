import type {Context} from 'hono'
import {v7 as uuidv7} from 'uuid'

import {sqlState} from '../src/db/database-errors.js'
import {isFactflowError} from '../src/errors/index.js'
import type {Logger} from '../src/logging/logger.js'

/** The error body of docs/reference/server.md: never a stack trace. */
export interface ErrorBody {
  detail: string | Array<{loc: Array<string | number>; msg: string; type: string}>
  error_code: string
  correlation_id: string
  timestamp: string
  hint?: string
  details?: Record<string, unknown>
}

export function errorBody(code: string, detail: ErrorBody['detail'], extra: Partial<ErrorBody> = {}): ErrorBody {
  return {detail, error_code: code, correlation_id: uuidv7(), timestamp: new Date().toISOString(), ...extra}
}

/** A request body or parameter that failed its schema: 422 with `{loc, msg, type}` per issue. */
export function validationErrorResponse(c: Context, issues: ReadonlyArray<{path: PropertyKey[]; message: string; code: string}>, where: string) {
  const detail = issues.map((issue) => ({
    loc: [where, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], msg: issue.message, type: issue.code,
  }))
  return c.json(errorBody('REQUEST_INVALID', detail), 422)
}

/**
 * SQLSTATEs of a value PostgreSQL cannot hold (U+0000 in text, `\u0000` in jsonb, a lone UTF-16
 * surrogate in jsonb): the request's fault wherever in a path, parameter or nested body value it
 * came (the fuzz test of the API sends each), and the statement wrote nothing.
 */
const UNSTORABLE_VALUE: ReadonlySet<string> = new Set(['22021', '22P05', '22P02'])

/**
 * The one place where errors become HTTP responses (STYLE.md): a `FactflowError` keeps its code,
 * message and hint with the status its kind says; anything else is a 500 with a correlation id
 * that is also logged with the stack.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    if (isFactflowError(error)) {
      const status = error.httpStatus
      const body = errorBody(error.code, error.message, {
        ...(error.hint ? {hint: error.hint} : {}), ...(error.details ? {details: error.details} : {}),
      })
      if (status >= 500) logger.warn({err: error, correlation_id: body.correlation_id, path: c.req.path}, 'request failed')
      return c.json(body, status as 400)
    }
    const status = (error as {status?: unknown}).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Hono's own errors (a body that is not JSON, over the size limit).
      return c.json(errorBody(status === 413 ? 'REQUEST_TOO_LARGE' : 'REQUEST_INVALID', error.message), status as 400)
    }
    if (UNSTORABLE_VALUE.has(sqlState(error) ?? '')) {
      const body = errorBody('REQUEST_INVALID', 'The request holds a value the database cannot store (a U+0000 character or a lone UTF-16 surrogate).', {
        hint: 'Remove NUL characters and unpaired surrogates from paths, parameters and body values.',
      })
      logger.debug({err: error, correlation_id: body.correlation_id, path: c.req.path}, 'request refused by the database')
      return c.json(body, 400)
    }
    const body = errorBody('INTERNAL_ERROR', 'An internal error occurred; the server log has its details under this correlation id.')
    logger.error({err: error, correlation_id: body.correlation_id, path: c.req.path}, 'unhandled error in a request')
    return c.json(body, 500)
  }
}
