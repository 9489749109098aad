import {v7 as uuidv7} from 'uuid'

import type {ExecutionEvent} from '../engine/events.js'
import type {EventArchive, LoggedEvent} from '../executions/logged-event.js'

export type {EventArchive, LoggedEvent}

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['execution.completed', 'execution.failed', 'execution.cancelled', 'execution.interrupted'])

/** Per-message events are high-rate: the stream leaves them out (docs/reference/server.md allows sampling them). */
const SAMPLED_OUT: ReadonlySet<string> = new Set(['message.processing', 'message.completed'])

let lastId = ''

/** A UUIDv7 greater than every id this process made before (the uuid package keeps a counter per millisecond). */
export function nextEventId(): string {
  let id = uuidv7()
  // A clock that went backwards could break the order; SSE resume relies on it.
  while (id <= lastId) id = uuidv7()
  lastId = id
  return id
}

type Listener = (event: LoggedEvent) => void

/**
 * The one event stream of an execution (the Ink view, SSE and the thin client read it): every event
 * gets an id and a timestamp, the last `capacity` stay in memory for reconnecting clients, and every
 * event is handed to the archive (batched) so that a client further behind can resume from the
 * database. `subscribe` never misses or repeats an event between the replayed part and the live part.
 */
export class ExecutionEventLog {
  private readonly buffer: LoggedEvent[] = []
  private readonly listeners = new Set<Listener>()
  private pendingArchive: LoggedEvent[] = []
  private archiveTimer: NodeJS.Timeout | undefined
  private archiving: Promise<void> = Promise.resolve()
  private closedWith: LoggedEvent | undefined
  private trimmed = false

  constructor(
    readonly executionId: string,
    private readonly archive?: EventArchive,
    private readonly capacity = 2000,
    private readonly onArchiveError?: (error: unknown) => void,
  ) {}

  /** The terminal event once the execution ended. */
  get terminal(): LoggedEvent | undefined {
    return this.closedWith
  }

  append(event: ExecutionEvent): LoggedEvent | undefined {
    if (SAMPLED_OUT.has(event.type) || this.closedWith) return undefined
    const {type, ...data} = event
    const logged: LoggedEvent = {id: nextEventId(), event: type, timestamp: new Date().toISOString(), data}
    this.buffer.push(logged)
    if (this.buffer.length > this.capacity) {
      this.buffer.splice(0, this.buffer.length - this.capacity)
      this.trimmed = true
    }
    if (TERMINAL_EVENTS.has(type)) this.closedWith = logged
    if (this.archive) {
      this.pendingArchive.push(logged)
      if (this.closedWith) this.flushArchive()
      else this.archiveTimer ??= setTimeout(() => this.flushArchive(), 200)
    }
    for (const listener of this.listeners) listener(logged)
    return logged
  }

  /** Resolves once every event appended so far has been handed to the archive. */
  async flush(): Promise<void> {
    this.flushArchive()
    await this.archiving
  }

  /** Calls `listener` with each event appended from now on (no replay); returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * Calls `listener` with every event after `afterId` (from the start of what is kept when
   * undefined), then with each new one. Returns the unsubscribe function.
   */
  async subscribe(afterId: string | undefined, listener: Listener): Promise<() => void> {
    const live: LoggedEvent[] = []
    let replaying = true
    const wrapped: Listener = (event) => { if (replaying) live.push(event); else listener(event) }
    this.listeners.add(wrapped)
    const past = await this.since(afterId)
    let last = afterId ?? ''
    for (const event of past) { listener(event); last = event.id }
    // Events that arrived while the archive was read; some may be among `past` already.
    for (const event of live) if (event.id > last) { listener(event); last = event.id }
    replaying = false
    return () => { this.listeners.delete(wrapped) }
  }

  private async since(afterId: string | undefined): Promise<LoggedEvent[]> {
    const first = this.buffer[0]
    const covered = afterId === undefined ? !this.trimmed : first !== undefined && afterId >= first.id
    if (covered || !this.archive) return this.buffer.filter((e) => afterId === undefined || e.id > afterId)
    await this.flush()
    return this.archive.since(this.executionId, afterId)
  }

  private flushArchive(): void {
    if (this.archiveTimer) clearTimeout(this.archiveTimer)
    this.archiveTimer = undefined
    if (!this.archive || this.pendingArchive.length === 0) return
    const batch = this.pendingArchive
    this.pendingArchive = []
    const archive = this.archive
    this.archiving = this.archiving.then(() => archive.append(this.executionId, batch)).catch((error: unknown) => this.onArchiveError?.(error))
  }
}
