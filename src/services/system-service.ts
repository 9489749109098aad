import {v7 as uuidv7} from 'uuid'

import {describeError} from '../errors/index.js'
import type {Runtime} from '../runtime/runtime.js'

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy'

export interface ComponentHealth {
  status: HealthStatus
  detail?: string
  latency_ms?: number
}

async function timed(check: () => Promise<string | undefined>, timeoutMs = 3000): Promise<ComponentHealth> {
  const started = performance.now()
  try {
    const detail = await Promise.race([
      check(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ])
    return {status: 'healthy', latency_ms: Math.round(performance.now() - started), ...(detail ? {detail} : {})}
  } catch (error) {
    return {status: 'unhealthy', detail: describeError(error), latency_ms: Math.round(performance.now() - started)}
  }
}

/**
 * docs/reference/server.md `GET /system/health`: database, broker, storage, orchestrator and each LLM
 * profile. The whole is unhealthy when the database or the broker is; degraded when vector
 * search is unavailable (no pgvector: search falls back to keyword search) or a profile lacks
 * what it needs. With `debug`, each component says more.
 */
export type HealthReport = {status: HealthStatus; components: Record<string, ComponentHealth>}

/** How long a health report answers later requests (load balancers and monitors probe often). */
const HEALTH_FRESH_MS = 1000
const recentHealth = new WeakMap<Runtime, {at: number; report: Promise<HealthReport>}>()

/**
 * The health report, checked at most once a second per runtime: requests within that second (or
 * while a check runs) share one check, so a probe storm costs the database one round of queries
 * a second rather than one per request. `debug` always checks afresh.
 */
export function checkHealth(runtime: Runtime, {debug = false} = {}): Promise<HealthReport> {
  if (debug) return checkHealthNow(runtime, true)
  const now = performance.now()
  const recent = recentHealth.get(runtime)
  let report = recent?.report
  if (recent === undefined || now - recent.at >= HEALTH_FRESH_MS) {
    report = checkHealthNow(runtime, false)
    recentHealth.set(runtime, {at: now, report})
  }
  // The running-executions count is read now, not a second ago.
  return report!.then((checked) => withOrchestrator(runtime, checked))
}

function withOrchestrator(runtime: Runtime, report: HealthReport): HealthReport {
  const running = runtime.executions.list().length
  return {...report, components: {...report.components, orchestrator: {status: 'healthy', detail: `${running} of ${runtime.executions.limit} executions running`}}}
}

async function checkHealthNow(runtime: Runtime, debug: boolean): Promise<HealthReport> {
  const components: Record<string, ComponentHealth> = {}
  const database = timed(async () => {
    const {db} = await runtime.store()
    await db.query('SELECT 1')
    const {rows} = await db.query<{n: number}>(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'vector'`)
    if ((rows[0]?.n ?? 0) === 0) throw Object.assign(new Error('vector'), {vectorMissing: true})
    return debug ? `${db.kind} ${runtime.databaseLocation}` : undefined
  }).then((health): ComponentHealth => health.detail === 'vector' ? {
    status: 'degraded' as const, latency_ms: health.latency_ms,
    detail: 'the vector extension is missing: vector search falls back to keyword search',
  } : health)
  const broker = timed(async () => {
    await runtime.queue.depth?.('/queue/factflow.health')
    return debug ? runtime.settings.queueUrl.replace(/\/\/[^@/]*@/, '//***@') : undefined
  })
  const storage = timed(async () => {
    await runtime.storage.exists('system/health-check')
    return debug ? runtime.storage.uri : undefined
  })
  // The three are independent: checked at once, the report takes as long as the slowest.
  ;[components.database, components.broker, components.storage] = await Promise.all([database, broker, storage])
  const running = runtime.executions.list().length
  components.orchestrator = {status: 'healthy', detail: `${running} of ${runtime.executions.limit} executions running`}
  try {
    for (const profile of (await runtime.llm.profiles()).values()) {
      const missing = profile.unresolvedEnv ?? []
      components[`llm.${profile.name}`] = missing.length > 0
        ? {status: 'degraded', detail: `unset: ${missing.join(', ')}`}
        : {status: 'healthy', ...(debug ? {detail: `${profile.provider_type} ${profile.model}`} : {})}
    }
  } catch (error) {
    components.llm = {status: 'degraded', detail: describeError(error)}
  }
  const all = Object.entries(components)
  const critical = ['database', 'broker', 'storage']
  const status: HealthStatus = all.some(([name, c]) => critical.includes(name) && c.status === 'unhealthy') ? 'unhealthy'
    : all.some(([, c]) => c.status !== 'healthy') ? 'degraded' : 'healthy'
  return {status, components}
}

/** Publishes one message to a diagnostic queue and consumes it back, with timings. */
export async function mqDiagnostic(runtime: Runtime): Promise<{ok: boolean; provider: string; publish_ms: number; round_trip_ms: number}> {
  const queue = `/queue/factflow.diagnostic.${uuidv7()}`
  const body = JSON.stringify({probe: uuidv7()})
  const started = performance.now()
  let received!: () => void
  const got = new Promise<void>((resolve) => { received = resolve })
  const subscription = await runtime.queue.subscribe(queue, {subscription: 'diagnostic', prefetch: 1}, async (delivery) => {
    if (delivery.body === body) received()
    return 'ack'
  })
  try {
    await runtime.queue.publish(queue, body)
    const published = performance.now()
    await Promise.race([got, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no delivery within 5 s')), 5000).unref())])
    return {ok: true, provider: runtime.settings.queueUrl.split(':')[0] ?? 'memory', publish_ms: published - started, round_trip_ms: performance.now() - started}
  } finally {
    await subscription.close()
    await runtime.queue.deleteQueue(queue).catch(() => undefined)
  }
}
