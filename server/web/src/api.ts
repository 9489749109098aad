/** The API root: same origin, so a proxy in front adds identity headers and cookies to every call. */
export const API = '/api/v1'

/** An error answer of the API (docs/reference/server.md: `{detail, error_code, hint?}`) or a network failure. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code: string | undefined, readonly hint: string | undefined) {
    super(message)
  }
}

/** The message of an error answer's body, with 422's `detail` list joined. */
export function errorMessage(body: unknown, status: number): {message: string; code?: string; hint?: string} {
  if (body && typeof body === 'object' && 'detail' in body) {
    const {detail, error_code: code, hint} = body as {detail: unknown; error_code?: string; hint?: string}
    const message = Array.isArray(detail)
      ? detail.map((d: {loc?: unknown[]; msg?: string}) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ')
      : String(detail)
    return {message, code, hint}
  }
  return {message: `The server answered ${status}.`}
}

/**
 * A response index.html's inline script started for `path` before the bundle loaded (the
 * executions list: its request runs beside the script download instead of after it), taken once.
 */
export function takePreloaded(path: string, init: RequestInit = {}): Promise<Response> | undefined {
  const preloaded = (globalThis as {__factflowPreload?: Record<string, Promise<Response> | undefined>}).__factflowPreload
  const found = preloaded?.[path]
  if (!found || (init.method ?? 'GET') !== 'GET') return undefined
  delete preloaded![path]
  return found
}

/** `fetch` of `/api/v1{path}` that returns the JSON body or throws an {@link ApiError}. */
export async function api<T>(path: string, init: RequestInit & {json?: unknown} = {}): Promise<T> {
  const {json, ...rest} = init
  let response: Response
  try {
    response = await takePreloaded(path, init) ?? await fetch(`${API}${path}`, {
      ...rest,
      headers: {accept: 'application/json', ...(json === undefined ? {} : {'content-type': 'application/json'}), ...rest.headers},
      body: json === undefined ? rest.body : JSON.stringify(json),
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'The server cannot be reached.', 'SERVER_UNREACHABLE', 'Check that factflow serve is running.')
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let body: unknown
  try { body = text === '' ? undefined : JSON.parse(text) } catch { body = undefined }
  if (!response.ok) {
    const {message, code, hint} = errorMessage(body, response.status)
    throw new ApiError(response.status, message, code, hint)
  }
  return body as T
}

/** A query string from the defined values (`?a=1&b=x`, or '' when none). */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** Storage object URL; each key segment encoded, `/` kept (the API takes keys as path segments). */
export function objectUrl(key: string): string {
  return `${API}/storage/objects/${key.split('/').map(encodeURIComponent).join('/')}`
}

/** A response body's chunks (a reader loop: not every browser iterates a ReadableStream). */
export async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = body.getReader()
  try {
    for (;;) {
      const {value, done} = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}
