/** One Server-Sent Event as a test reads it. */
export interface SseEvent {
  id?: string
  event: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
  data: any
}

/**
 * Reads an SSE stream over a real socket (fetch), calling `onEvent` per event; resolves when the
 * server closes the stream or `stopAfter` returns true (the connection is then cut).
 */
export async function readSse(url: string, options: {lastEventId?: string; stopAfter?: (event: SseEvent, count: number) => boolean} = {}): Promise<SseEvent[]> {
  const controller = new AbortController()
  const response = await fetch(url, {headers: options.lastEventId ? {'last-event-id': options.lastEventId} : {}, signal: controller.signal})
  if (!response.ok || !response.body) throw new Error(`SSE ${url} answered ${response.status}`)
  const events: SseEvent[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = response.body.getReader()
  try {
    for (;;) {
      const {done, value} = await reader.read()
      if (done) return events
      buffer += decoder.decode(value, {stream: true})
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: SseEvent = {event: 'message', data: undefined}
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'id') event.id = value
          else if (field === 'event') event.event = value
          else if (field === 'data') data.push(value)
        }
        if (data.length === 0) continue
        event.data = JSON.parse(data.join('\n'))
        events.push(event)
        if (options.stopAfter?.(event, events.length)) {
          controller.abort()
          return events
        }
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return events
    throw error
  }
}
