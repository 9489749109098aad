import type {DeadLetterPage, DeadLetterResource, RedriveResultResource} from '../api/dead-letter-schemas.js'
import type {LineageChainResource, LineageChildren, LineagePage, LineageRowResource, LineageStatsResource} from '../api/lineage-schemas.js'
import type {ApiError, Config, ConfigList, Dag, Execution, ExecutionList, Health, ReplayExecutionBody, ReplayList, ValidationReport} from '../api/schemas.js'
import type {SearchResult} from '../api/search-schemas.js'
import type {StorageListing, StorageObjectResource} from '../api/storage-schemas.js'
import {type PlainResponse, plainRequest} from './node-request.js'
import type {
  CreateWebhookBody, UpdateWebhookBody, WebhookDeliveryResource, WebhookSubscriptionResource,
} from '../api/webhook-schemas.js'

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

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** Statuses that are answers, not errors (default: 2xx). */
  accept?: (status: number) => boolean
  signal?: AbortSignal
}

/**
 * The HTTP client of the thin-client commands (docs/reference/cli.md, "Client commands"), typed from the
 * API's schemas. JSON calls go through `node:http` (`plainRequest`), streams through Node's fetch;
 * errors (`client-errors.ts`) are loaded only when a call fails. No dependency, nothing loaded a
 * command does not use.
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
        throw (await import('./client-errors.js')).unreachable(this.serverUrl, error)
      }
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<{status: number; body: T}> {
    const url = this.url(path, options.query)
    const headers = {...this.headers, accept: 'application/json', ...(options.body === undefined ? {} : {'content-type': 'application/json'})}
    let response: PlainResponse
    for (let attempt = 1; ; attempt++) {
      try {
        response = await plainRequest(url, {method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), timeoutMs: this.timeoutMs, signal: options.signal})
        break
      } catch (error) {
        if (options.signal?.aborted) throw error
        // A kept-alive connection that the server or a proxy closed fails the next request on it
        // at once: a read is tried again on a new connection (twice at most).
        if (method === 'GET' && attempt < 3 && isSocketReset(error)) continue
        throw (await import('./client-errors.js')).unreachable(this.serverUrl, error)
      }
    }
    const {status, statusText, text} = response
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = undefined
    }
    const accepted = options.accept ?? ((code) => code >= 200 && code < 300)
    if (!accepted(status)) {
      const {ServerAnsweredError} = await import('./client-errors.js')
      throw new ServerAnsweredError(status, body as Partial<ApiError> | undefined,
        `The server answered ${status} ${statusText}${body === undefined && text !== '' ? `: ${text.slice(0, 200)}` : ''}`)
    }
    if (body === undefined && text !== '') {
      const {ServerAnsweredError} = await import('./client-errors.js')
      throw new ServerAnsweredError(status, undefined, `The server at ${this.serverUrl} answered something that is not JSON (is it a factflow server?)`)
    }
    return {status, body: body as T}
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

  listExecutions = (query: {status?: string; limit?: number; offset?: number; config_id?: string; tag?: string}) => this.get<ExecutionList>('/executions', query)
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

  listLineage = (query: Query) => this.get<LineagePage>('/lineage', query)
  getLineage = (id: string) => this.get<LineageRowResource>(`/lineage/${encodeURIComponent(id)}`)
  lineageChain = (id: string) => this.get<LineageChainResource>(`/lineage/${encodeURIComponent(id)}/chain`)
  lineageChildren = (id: string) => this.get<LineageChildren>(`/lineage/${encodeURIComponent(id)}/children`)
  lineageFailures = (query: Query) => this.get<LineagePage>('/lineage/failures', query)
  lineageStats = (execution: string) => this.get<LineageStatsResource>('/lineage/stats', {execution_id: execution})
  lineageBatch = (batchId: string, query: Query) => this.get<LineagePage>(`/lineage/batch/${encodeURIComponent(batchId)}`, query)

  browseStorage = (query: Query) => this.get<StorageListing>('/storage/objects', query)
  objectMetadata = (key: string) => this.get<StorageObjectResource>(`/storage/objects/${encodeURIComponent(key)}/metadata`)
  /** An object's bytes as a response (`If-None-Match` → 304); answered errors (404 …) are thrown. */
  async object(key: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    const response = await this.fetch(`/storage/objects/${encodeURIComponent(key)}`, {headers, signal, timeoutMs: null})
    if (response.ok || response.status === 304) return response
    throw await (await import('./client-errors.js')).answeredError(response, key)
  }

  listDeadLetters = (query: Query) => this.get<DeadLetterPage>('/dlq', query)
  getDeadLetter = (id: string) => this.get<DeadLetterResource>(`/dlq/${encodeURIComponent(id)}`)
  redriveDeadLetter = (id: string) => this.send<RedriveResultResource>('POST', `/dlq/${encodeURIComponent(id)}/redrive`)
  redriveDeadLetters = (body: {execution_id: string; route_id?: string}) => this.send<RedriveResultResource>('POST', '/dlq/redrive', body)

  search = (mode: 'vector' | 'keyword' | 'hybrid', body: {query: string; limit?: number; slot?: string; source?: string}) =>
    this.send<SearchResult>('POST', mode === 'vector' ? '/search' : `/search/${mode}`, body)

  listWebhooks = (query: Query) => this.get<{webhooks: WebhookSubscriptionResource[]; total: number; limit: number; offset: number; has_more: boolean}>('/webhooks', query)
  createWebhook = (body: CreateWebhookBody) => this.send<WebhookSubscriptionResource & {secret?: string}>('POST', '/webhooks', body)
  getWebhook = (id: string) => this.get<WebhookSubscriptionResource>(`/webhooks/${encodeURIComponent(id)}`)
  updateWebhook = (id: string, body: UpdateWebhookBody) => this.send<WebhookSubscriptionResource>('PATCH', `/webhooks/${encodeURIComponent(id)}`, body)
  deleteWebhook = (id: string) => this.send<undefined>('DELETE', `/webhooks/${encodeURIComponent(id)}`)
  testWebhook = (id: string) => this.send<WebhookDeliveryResource>('POST', `/webhooks/${encodeURIComponent(id)}/test`)
  webhookDeliveries = (id: string, query: Query) =>
    this.get<{deliveries: WebhookDeliveryResource[]; total: number; limit: number; offset: number; has_more: boolean}>(`/webhooks/${encodeURIComponent(id)}/deliveries`, query)
  redeliverWebhook = (deliveryId: string) => this.send<WebhookDeliveryResource>('POST', `/webhooks/deliveries/${encodeURIComponent(deliveryId)}/redeliver`)
}

type Query = RequestOptions['query']

function isSocketReset(error: unknown): boolean {
  const failure = error as {code?: string; cause?: {code?: string}}
  const code = failure.code ?? failure.cause?.code
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE'
}

/** `--header 'Name: value'` flags and `FACTFLOW_HEADERS` (`Name: value` pairs separated by newlines or `;`). */
export async function parseHeaders(flags: readonly string[], env: string | undefined): Promise<Record<string, string>> {
  const headers: Record<string, string> = {}
  const lines = [...(env ?? '').split(/[\n;]/), ...flags].map((line) => line.trim()).filter(Boolean)
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw (await import('./client-errors.js')).headerInvalid(line)
    headers[name.toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}
