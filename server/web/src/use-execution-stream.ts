import {useEffect, useReducer, useRef} from 'react'

import {API} from './api.js'
import {applyEvent, type ExecutionLive, initialLive, type StreamEvent, TERMINAL} from './execution-events.js'

type Action = {type: 'reset'} | {type: 'event'; event: StreamEvent} | {type: 'connection'; state: Connection}
export type Connection = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed'

function reducer(state: ExecutionLive & {connection: Connection}, action: Action): ExecutionLive & {connection: Connection} {
  switch (action.type) {
    case 'reset': return {...initialLive(), connection: 'connecting'}
    case 'connection': return {...state, connection: action.state}
    default: return {...applyEvent(state, action.event), connection: state.connection}
  }
}

const EVENT_TYPES = [
  'execution.started', 'message.processing', 'message.completed', 'message.failed', 'message.dead_lettered', 'route.paused', 'route.resumed',
  'circuit.opened', 'circuit.closed', 'circuit.half_open', 'stats', ...TERMINAL,
]

/**
 * The execution's event stream (EventSource: the browser resumes a dropped connection with
 * Last-Event-ID by itself) folded into live state; closed after the terminal event. A new `epoch`
 * opens it again from the start (an ended execution that a redrive started again).
 */
export function useExecutionStream(id: string | undefined, epoch = 0): ExecutionLive & {connection: Connection} {
  const [state, dispatch] = useReducer(reducer, undefined, () => ({...initialLive(), connection: 'connecting' as Connection}))
  // The last event id seen of this execution, across epochs.
  const lastSeen = useRef<{id: string; eventId: string} | undefined>(undefined)
  useEffect(() => {
    if (id === undefined) return
    dispatch({type: 'reset'})
    // A new epoch (a redrive restarted the ended execution) resumes after the events already seen:
    // from the start, the stream would replay the earlier run and close at its terminal event.
    const after = epoch > 0 && lastSeen.current?.id === id ? `?last_event_id=${encodeURIComponent(lastSeen.current.eventId)}` : ''
    const source = new EventSource(`${API}/executions/${encodeURIComponent(id)}/events${after}`)
    let ended = false
    const onEvent = (message: MessageEvent<string>) => {
      if (message.lastEventId) lastSeen.current = {id, eventId: message.lastEventId}
      let data: Record<string, unknown>
      try { data = JSON.parse(message.data) as Record<string, unknown> } catch { return }
      dispatch({type: 'event', event: {id: message.lastEventId, event: message.type, data}})
      if (TERMINAL.has(message.type)) {
        ended = true
        source.close()
        dispatch({type: 'connection', state: 'closed'})
      }
    }
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent as EventListener)
    source.onopen = () => dispatch({type: 'connection', state: 'open'})
    source.onerror = () => {
      if (ended) return
      // CLOSED: the server refused the stream (404 …); CONNECTING: the browser retries on its own.
      dispatch({type: 'connection', state: source.readyState === EventSource.CLOSED ? 'failed' : 'reconnecting'})
    }
    return () => source.close()
  }, [id, epoch])
  return state
}
