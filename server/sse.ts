import type {Context} from 'hono'
import {streamSSE} from 'hono/streaming'
import {v7 as uuidv7} from 'uuid'

import type {EventSource} from '../src/services/execution-service.js'

/** What an SSE stream reads: events after an id, then live ones, ending with a terminal event. */
export type {EventSource} from '../src/services/execution-service.js'

const HEARTBEAT_MS = 15_000

/**
 * Streams `source` as Server-Sent Events (docs/reference/server.md): `id:` (UUIDv7), `event:`, `data:` (JSON),
 * a comment heartbeat every 15 s, resume after `Last-Event-ID`, and the stream closes after the
 * terminal event. The one SSE helper of the server.
 */
export function sseResponse(c: Context, source: EventSource, heartbeatMs = HEARTBEAT_MS) {
  const lastEventId = c.req.header('last-event-id') || c.req.query('last_event_id') || undefined
  return streamSSE(c, async (stream) => {
    let done!: () => void
    const finished = new Promise<void>((resolve) => { done = resolve })
    let chain = Promise.resolve()
    const unsubscribe = await source.subscribe(lastEventId, (event) => {
      chain = chain.then(async () => {
        if (stream.aborted || stream.closed) return
        await stream.writeSSE({id: event.id, event: event.event, data: JSON.stringify({...event.data, timestamp: event.timestamp})})
        if (source.isTerminal(event)) done()
      })
    })
    const heartbeat = setInterval(() => { chain = chain.then(() => stream.write(': heartbeat\n\n').then(() => undefined)) }, heartbeatMs)
    stream.onAbort(() => done())
    await finished
    clearInterval(heartbeat)
    unsubscribe()
    await chain.catch(() => undefined)
  })
}

/**
 * Streams a finite sequence of events (a chat answer) as Server-Sent Events in the same framing:
 * `id:` (UUIDv7), `event:`, `data:` (JSON), comment heartbeats while the next event is awaited.
 * `events` gets a signal that aborts when the client goes away.
 */
export function sseEventStream(c: Context, events: (signal: AbortSignal) => AsyncIterable<{event: string; data: Record<string, unknown>}>, heartbeatMs = HEARTBEAT_MS) {
  return streamSSE(c, async (stream) => {
    const controller = new AbortController()
    stream.onAbort(() => controller.abort())
    let chain = Promise.resolve()
    const heartbeat = setInterval(() => { chain = chain.then(() => stream.write(': heartbeat\n\n').then(() => undefined)) }, heartbeatMs)
    try {
      for await (const {event, data} of events(controller.signal)) {
        if (stream.aborted || stream.closed) break
        chain = chain.then(() => stream.writeSSE({id: uuidv7(), event, data: JSON.stringify(data)}))
        await chain
      }
    } finally {
      clearInterval(heartbeat)
      await chain.catch(() => undefined)
    }
  })
}
