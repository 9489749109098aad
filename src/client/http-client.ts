import type {ApiError, Config, ConfigList, Dag, Execution, ExecutionList, Health, ReplayExecutionBody, ReplayList, ValidationReport} from '../api/schemas.js'
import {type ErrorCode} from '../errors/error-codes.js'
import {FactflowError, type ErrorKind, UnavailableError, UserInputError} from '../errors/factflow-error.js'

const API = '/api/v1'

export const DEFAULT_SERVER_URL = 'http://localhost:8000'

export interface ClientOptions {
  /** The server's root URL (`--server`, `FACTFLOW_SERVER_URL`). */
  serverUrl: string
  /** Sent with every request (`--header`, `FACTFLOW_HEADERS`): SSO or gateway headers. */
  headers?: Record<string, string>
  /** Per request (default 30 s); streams are not bounded by it. */
  timeoutMs?: number
}

/**
 * An error the server answered (its `error_code`, `detail` and `hint`). Exit codes (docs/reference/cli.md):
 * 2 for a request the server refused as input (400, 413, 422), 4 when a service behind it is down
 * (503), 1 for everything else the server answered.
 */
export class ServerAnsweredError extends FactflowError {
  override readonly kind: ErrorKind
  constructor(readonly status: number, body: Partial<ApiError> | undefined, fallback: string) {
    const detail = body?.detail
    const message = typeof detail === 'string' ? detail
      : Array.isArray(detail) ? detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ')
        : fallback
    super((body?.error_code ?? `HTTP_${status}`) as ErrorCode, message, {hint: body?.hint, details: body?.details, retryable: status === 429 || status >= 500})
    this.kind = status === 400 || status === 413 || status === 422 ? 'user' : status === 503 ? 'unavailable' : 'external'
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** Statuses that are answers, not errors (default: 2xx). */
  accept?: (status: number) => boolean
  signal?: AbortSignal
}

/**
 * The HTTP client of the thin-client commands (docs/reference/cli.md, "Client commands"), typed from the
 * API's schemas. Uses Node's fetch: no dependency, nothing loaded a command does not use.
 */
export class FactflowClient {
  readonly serverUrl: string
  private readonly headers: Record<string, string>
  private readonly timeoutMs: number

  constructor(options: ClientOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '')
    this.headers = options.headers ?? {}
    this.timeoutMs = options.timeoutMs ?? 30_000
  }

  /** The URL of an API path with its query. */
  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(`${this.serverUrl}${API}${path}`)
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value))
    return url.toString()
  }

  /** A fetch of an API path, turning an unreachable server into `SERVER_UNREACHABLE` (exit 4). */
  async fetch(path: string, init: RequestInit & {query?: RequestOptions['query']; timeoutMs?: number | null} = {}): Promise<Response> {
    const url = this.url(path, init.query)
    const signals = [init.signal, init.timeoutMs === null ? undefined : AbortSignal.timeout(init.timeoutMs ?? this.timeoutMs)].filter((s): s is AbortSignal => s != null)
    const idempotent = (init.method ?? 'GET') === 'GET'
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(url, {...init, headers: {...this.headers, ...init.headers as Record<string, string>}, signal: AbortSignal.any(signals)})
      } catch (error) {
        if (init.signal?.aborted) throw error
        // A kept-alive connection that the server or a proxy closed fails the next request on it
        // at once: a read is tried again on a new connection (twice at most).
        if (idempotent && attempt < 3 && isSocketReset(error)) continue
        throw unreachable(this.serverUrl, error)
      }
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<{status: number; body: T}> {
    const response = await this.fetch(path, {
      method, query: options.query, signal: options.signal,
      headers: options.body === undefined ? {accept: 'application/json'} : {accept: 'application/json', 'content-type': 'application/json'},
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
    const text = await response.text()
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    const accepted = options.accept ?? ((status) => status >= 200 && status < 300)
    if (!accepted(response.status)) {
      throw new ServerAnsweredError(response.status, body as Partial<ApiError> | undefined,
        `The server answered ${response.status} ${response.statusText}${body === undefined && text !== '' ? `: ${text.slice(0, 200)}` : ''}`)
    }
    if (body === undefined && text !== '') {
      throw new ServerAnsweredError(response.status, undefined, `The server at ${this.serverUrl} answered something that is not JSON (is it a factflow server?)`)
    }
    return {status: response.status, body: body as T}
  }

  async get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>('GET', path, {query})).body
  }

  async send<T>(method: string, path: string, body?: unknown, query?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>(method, path, {body, query})).body
  }

  health(debug = false): Promise<{status: number; body: Health}> {
    // 503 is the health report of an unhealthy server, not an error.
    return this.request<Health>('GET', '/system/health', {query: {debug: debug || undefined}, accept: (s) => s === 200 || s === 503})
  }

  info = () => this.get<Record<string, unknown>>('/system/info')
  mqDiagnostic = () => this.send<Record<string, unknown>>('POST', '/system/mq-diagnostic')

  listConfigs = (query: {active?: 'true' | 'false' | 'all'; limit?: number; offset?: number}) => this.get<ConfigList>('/configs', query)
  createConfig = (body: {name: string; config_yaml: string; description?: string}) => this.send<Config>('POST', '/configs', body)
  getConfig = (id: string) => this.get<Config>(`/configs/${encodeURIComponent(id)}`)
  updateConfig = (id: string, body: {config_yaml: string; description?: string}) => this.send<Config>('PUT', `/configs/${encodeURIComponent(id)}`, body)
  deleteConfig = (id: string) => this.send<Config>('DELETE', `/configs/${encodeURIComponent(id)}`)
  validateConfig = (yaml: string) => this.send<ValidationReport>('POST', '/configs/validate', {config_yaml: yaml})
  runConfig = (id: string, initPayload: Record<string, unknown>, tag?: string) =>
    this.send<Execution>('POST', `/configs/${encodeURIComponent(id)}/run`, initPayload, {tag})

  listExecutions = (query: {status?: string; limit?: number; offset?: number; config_id?: string}) => this.get<ExecutionList>('/executions', query)
  getExecution = (id: string) => this.get<Execution>(`/executions/${encodeURIComponent(id)}`)
  cancelExecution = (id: string) => this.send<Execution>('POST', `/executions/${encodeURIComponent(id)}/cancel`)
  resumeExecution = (id: string) => this.send<Execution>('POST', `/executions/${encodeURIComponent(id)}/resume`)
  replayExecution = (id: string, body: ReplayExecutionBody) => this.send<Execution>('POST', `/executions/${encodeURIComponent(id)}/replay`, body)
  listReplays = (id: string, query: {limit?: number; offset?: number} = {}) => this.get<ReplayList>(`/executions/${encodeURIComponent(id)}/replays`, query)
  executionDag = (id: string) => this.get<Dag>(`/executions/${encodeURIComponent(id)}/dag`)
  executionStats = (id: string) => this.get<Record<string, unknown>>(`/executions/${encodeURIComponent(id)}/stats`)
  executionRoutes = (id: string) => this.get<{routes: Array<Record<string, unknown>>}>(`/executions/${encodeURIComponent(id)}/routes`)

  listPipelines = (execution?: string) => this.get<Record<string, unknown>>('/pipelines', {execution_id: execution})
  setRouteState = (route: string, state: 'paused' | 'running', execution?: string) =>
    this.send<Record<string, unknown>>('PATCH', `/pipelines/${encodeURIComponent(route)}`, {state}, {execution_id: execution})
}

function isSocketReset(error: unknown): boolean {
  const code = (error as {cause?: {code?: string}}).cause?.code
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE'
}

function unreachable(serverUrl: string, error: unknown): UnavailableError {
  const cause = (error as {cause?: {code?: string; message?: string}}).cause
  const reason = (error as Error).name === 'TimeoutError' ? 'no answer in time' : cause?.code ?? cause?.message ?? (error as Error).message
  return new UnavailableError('SERVER_UNREACHABLE', `Cannot reach the factflow server at ${serverUrl} (${reason})`, {
    retryable: true, cause: error,
    hint: 'Start one with `factflow serve --embedded`, or point --server (or FACTFLOW_SERVER_URL) at a running server.',
    details: {server_url: serverUrl},
  })
}

/** `--header 'Name: value'` flags and `FACTFLOW_HEADERS` (`Name: value` pairs separated by newlines or `;`). */
export function parseHeaders(flags: readonly string[], env: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  const lines = [...(env ?? '').split(/[\n;]/), ...flags].map((line) => line.trim()).filter(Boolean)
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UserInputError('CLIENT_HEADER_INVALID', `Not a header: ${JSON.stringify(line)}`, {hint: 'Write headers as --header "Name: value" (FACTFLOW_HEADERS: one per line or separated by ";").'})
    }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}
