import type {ExecutionEvent, RouteCounters} from '../engine/events.js'

/** What the live run view and the plain progress lines show; fed by execution events. */
export interface RunProgressSnapshot {
  executionId: string
  pipelineName: string
  status: string
  elapsedMs: number
  /** `rate`: messages done per second; `element_rate`: fan-out elements done per second (a crawl's pages). */
  routes: Array<RouteCounters & {route: string; rate: number; element_rate: number}>
  lastErrors: Array<{route: string; stage: string | null; message: string; willRetry: boolean}>
  circuits: Record<string, string>
  note?: string
}

/** Folds events into a snapshot and computes per-route completion rates over a sliding window. */
export class RunProgressModel {
  private routes: Record<string, RouteCounters> = {}
  private readonly errors: RunProgressSnapshot['lastErrors'] = []
  private readonly circuits: Record<string, string> = {}
  private status = 'starting'
  private readonly startedAt = performance.now()
  private endedAt: number | undefined
  private note: string | undefined
  private readonly samples: Array<{at: number; done: Record<string, number>; elements: Record<string, number>}> = []

  private readonly listeners = new Set<() => void>()

  constructor(private readonly executionId: string, private readonly pipelineName: string, private readonly maxErrors = 5) {}

  /** Calls `listener` after every change (an event applied, the note set); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  apply(event: ExecutionEvent): void {
    this.fold(event)
    this.changed()
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }

  private fold(event: ExecutionEvent): void {
    switch (event.type) {
      case 'execution.started': this.status = 'running'; break
      case 'stats':
        // The view may attach after `execution.started` was emitted: stats mean it is running.
        if (this.status === 'starting') this.status = 'running'
        this.routes = event.routes
        this.sample()
        break
      case 'message.failed':
        this.errors.push({route: event.route_id, stage: event.stage, message: event.error.message, willRetry: event.will_retry})
        if (this.errors.length > this.maxErrors) this.errors.shift()
        break
      case 'circuit.opened': case 'circuit.closed': case 'circuit.half_open':
        this.circuits[`${event.route_id}/${event.stage}`] = event.type.slice('circuit.'.length)
        break
      case 'execution.completed': case 'execution.failed': case 'execution.cancelled': case 'execution.interrupted':
        this.status = event.status
        this.endedAt = performance.now()
        break
      default: break
    }
  }

  /** A line shown under the table (e.g. while the last lineage rows are stored). */
  setNote(note: string | undefined): void {
    if (note === this.note) return
    this.note = note
    this.changed()
  }

  snapshot(): RunProgressSnapshot {
    const now = this.endedAt ?? performance.now()
    const oldest = this.samples[0]
    const newest = this.samples.at(-1)
    const seconds = oldest && newest && newest.at > oldest.at ? (newest.at - oldest.at) / 1000 : 0
    return {
      executionId: this.executionId,
      pipelineName: this.pipelineName,
      status: this.status,
      elapsedMs: now - this.startedAt,
      routes: Object.entries(this.routes).map(([route, c]) => ({
        route, ...c,
        rate: seconds > 0 ? ((newest!.done[route] ?? 0) - (oldest!.done[route] ?? 0)) / seconds : 0,
        element_rate: seconds > 0 ? ((newest!.elements[route] ?? 0) - (oldest!.elements[route] ?? 0)) / seconds : 0,
      })),
      lastErrors: [...this.errors],
      circuits: {...this.circuits},
      note: this.note,
    }
  }

  private sample(): void {
    const done: Record<string, number> = {}
    const elements: Record<string, number> = {}
    for (const [route, c] of Object.entries(this.routes)) {
      done[route] = c.completed + c.dead_lettered
      elements[route] = c.elements_done + c.elements_failed
    }
    const at = performance.now()
    this.samples.push({at, done, elements})
    while (this.samples.length > 2 && at - this.samples[0]!.at > 5000) this.samples.shift()
  }
}

/**
 * A route's fan-out elements, `done/emitted` with failures and those found unchanged and not sent
 * on (a re-run's pages an earlier run finished), or '' when it emitted none.
 */
export function formatElements(r: Pick<RouteCounters, 'elements' | 'elements_done' | 'elements_failed' | 'ended_unchanged'>): string {
  if (r.elements === 0) return ''
  return `${r.elements_done}/${r.elements}${r.elements_failed ? ` failed ${r.elements_failed}` : ''}${r.ended_unchanged ? ` unchanged ${r.ended_unchanged}` : ''}`
}

export function formatProgressLine(s: RunProgressSnapshot): string {
  const routes = s.routes.map((r) => `${r.route} ${r.completed}/${r.received}${r.failed ? ` failed ${r.failed}` : ''}${r.dead_lettered ? ` dlq ${r.dead_lettered}` : ''}${r.in_flight ? ` in-flight ${r.in_flight}` : ''} ${r.rate.toFixed(0)}/s` +
    (r.elements > 0 ? ` elements ${formatElements(r)} ${r.element_rate.toFixed(0)}/s` : ''))
  return `[${(s.elapsedMs / 1000).toFixed(1)}s] ${s.status} ${routes.join(' | ')}${s.note ? ` (${s.note})` : ''}`
}

/** Queued lineage rows from which a running view says the store is behind (the engine starts waiting at 50 000). */
export const LINEAGE_BEHIND_ROWS = 20_000

/**
 * The note about lineage under the route table: while the run goes on, only when the store is
 * behind (so a drop in throughput has its reason on screen); once drained, what is left to store.
 */
export function lineageNote(pending: number, drained: boolean): string | undefined {
  if (drained) return pending > 0 ? `storing ${pending} lineage rows…` : 'storing lineage…'
  return pending >= LINEAGE_BEHIND_ROWS ? `lineage store behind: ${pending} rows queued` : undefined
}
