import type {FactflowClient} from './http-client.js'

export interface StreamedEvent {
  id: string
  event: string
  data: Record<string, unknown>
}

export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['execution.completed', 'execution.failed', 'execution.cancelled', 'execution.interrupted'])

export interface FollowOptions {
  /** Start after this event id (default: from the execution's first event). */
  lastEventId?: string
  signal?: AbortSignal
  /** Called when the connection dropped and a reconnect is about to be tried (attempt 1, 2, …). */
  onReconnecting?: (attempt: number, error: unknown) => void
  /** Give up after this many failed reconnects in a row (default 30, about a minute). */
  maxReconnects?: number
  /**
   * A connection that brings nothing for this long is dropped and resumed (default 45 s: the server
   * sends a heartbeat every 15 s). It also keeps the process alive while a read waits.
   */
  idleTimeoutMs?: number
}

/**
 * An execution's SSE stream (`GET /executions/{id}/events`) as an async iterable that ends after
 * the terminal event; see `followEvents`.
 */
export function followExecution(client: FactflowClient, id: string, options: FollowOptions = {}): AsyncIterable<StreamedEvent> {
  return followEvents(client, `/executions/${encodeURIComponent(id)}/events`, {...options, isTerminal: (event) => TERMINAL_EVENT_TYPES.has(event.event)})
}

/**
 * An SSE stream of the API as an async iterable that ends after the event `isTerminal` accepts
 * (never, without it). A dropped connection is resumed with `Last-Event-ID` (back-off 0.2 s →
 * 2 s), so the events come exactly once and in order across reconnects; a server that stays away
 * past `maxReconnects` ends it with the last error (`SERVER_UNREACHABLE`, exit 4).
 */
export async function* followEvents(client: FactflowClient, path: string,
  options: FollowOptions & {isTerminal?: (event: StreamedEvent) => boolean} = {}): AsyncIterable<StreamedEvent> {
  let lastEventId = options.lastEventId
  let failures = 0
  for (;;) {
    let ended = false
    const connection = new AbortController()
    const idleMs = options.idleTimeoutMs ?? 45_000
    let idle = setTimeout(() => connection.abort(), idleMs)
    const alive = () => {
      clearTimeout(idle)
      idle = setTimeout(() => connection.abort(), idleMs)
    }
    try {
      const response = await client.fetch(path, {
        headers: {accept: 'text/event-stream', ...(lastEventId ? {'last-event-id': lastEventId} : {})},
        signal: options.signal ? AbortSignal.any([options.signal, connection.signal]) : connection.signal, timeoutMs: null,
      })
      if (!response.ok) {
        // An answered error (404 …) is final: read it as the JSON client would.
        throw await (await import('./client-errors.js')).answeredError(response)
      }
      for await (const event of parseSse(response.body!, alive)) {
        failures = 0
        lastEventId = event.id
        yield event
        if (options.isTerminal?.(event)) {
          ended = true
          break
        }
      }
      if (ended) return
    } catch (error) {
      if (options.signal?.aborted) throw error
      if ((error as {name?: string}).name === 'ServerAnsweredError') throw error
      failures++
      if (failures > (options.maxReconnects ?? 30)) throw error
      options.onReconnecting?.(failures, error)
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 200 * 2 ** (failures - 1))))
      continue
    } finally {
      clearTimeout(idle)
    }
    // The stream closed without a terminal event (server restart, proxy timeout): resume.
    failures++
    if (failures > (options.maxReconnects ?? 30)) {
      const {UnavailableError} = await import('../errors/factflow-error.js')
      throw new UnavailableError('SERVER_UNREACHABLE', `The event stream ${path} kept closing before it ended`, {retryable: true})
    }
    options.onReconnecting?.(failures, undefined)
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 200 * 2 ** (failures - 1))))
  }
}

/**
 * Server-Sent Events (id, event, data lines; comments skipped) from a response body; `onChunk` on
 * every chunk read. Takes any async iterable of bytes: Node's response bodies are one; the web view
 * passes a reader's chunks (not every browser iterates a ReadableStream).
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>, onChunk: () => void): AsyncIterable<StreamedEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let id = ''
  let event = 'message'
  let data: string[] = []
  for await (const chunk of body) {
    onChunk()
    buffer += decoder.decode(chunk, {stream: true})
    let newline
    while ((newline = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + (buffer[newline] === '\r' ? 2 : 1))
      if (line === '') {
        if (data.length > 0) {
          let parsed: Record<string, unknown>
          try { parsed = JSON.parse(data.join('\n')) as Record<string, unknown> } catch { parsed = {text: data.join('\n')} }
          yield {id, event, data: parsed}
        }
        event = 'message'
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') id = value
      else if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
  }
}
