import type {LoggedEvent} from '../executions/logged-event.js'
import {nextEventId} from '../runtime/execution-event-log.js'
import type {ObjectStore, StorageCreatedEvent} from '../storage/types.js'

/** Which storage events a stream wants. */
export interface StorageEventFilter {
  execution_id?: string
  route_id?: string
}

/**
 * `storage.object.created` events of a store as an SSE stream's events (docs/reference/server.md, "Storage
 * stream"): each gets a monotonic UUIDv7 id, and the last `capacity` are kept so a client that
 * reconnects with `Last-Event-ID` gets what it missed. Events older than the buffer (or from
 * before a restart) are not kept: the object listing is the durable record.
 */
export class StorageEventHub {
  private readonly buffer: LoggedEvent[] = []
  private readonly listeners = new Set<(event: LoggedEvent) => void>()
  private readonly unsubscribe: () => void

  constructor(store: ObjectStore, private readonly capacity = 10_000) {
    this.unsubscribe = store.onCreated((event) => this.add(event))
  }

  private add(created: StorageCreatedEvent): void {
    const {metadata} = created
    const event: LoggedEvent = {
      id: nextEventId(), event: 'storage.object.created', timestamp: new Date().toISOString(),
      data: {
        key: created.key, size: created.size, content_type: created.content_type,
        route_id: metadata.route_id ?? null, stage: metadata.stage ?? null, execution_id: metadata.execution_id ?? null,
        message_id: metadata.message_id ?? null, sha256: metadata.sha256,
      },
    }
    this.buffer.push(event)
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity)
    for (const listener of [...this.listeners]) listener(event)
  }

  /**
   * Sends the buffered events after `afterId` (ids increase, so a compare finds them even when
   * `afterId` itself fell out of the buffer), then every new one, matching `filter`.
   */
  subscribe(afterId: string | undefined, filter: StorageEventFilter, listener: (event: LoggedEvent) => void): () => void {
    const matches = (event: LoggedEvent) => (filter.execution_id === undefined || event.data.execution_id === filter.execution_id)
      && (filter.route_id === undefined || event.data.route_id === filter.route_id)
    if (afterId !== undefined) for (const event of this.buffer) if (event.id > afterId && matches(event)) listener(event)
    const live = (event: LoggedEvent) => { if (matches(event)) listener(event) }
    this.listeners.add(live)
    return () => { this.listeners.delete(live) }
  }

  close(): void {
    this.unsubscribe()
    this.listeners.clear()
  }
}
