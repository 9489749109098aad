import {Box, Text} from 'ink'
import Spinner from 'ink-spinner'
import {useEffect, useReducer} from 'react'

import {formatElements, type RunProgressSnapshot} from './run-progress-model.js'

export interface RunViewProps {
  snapshot: () => RunProgressSnapshot
  /**
   * Called with a function to call when the model changed (`RunProgressModel.subscribe`): the view
   * then draws a change within one frame, at most one frame every `minFrameMs` however fast the
   * events come (they are coalesced). Without it, only the `refreshMs` clock redraws.
   */
  subscribe?: (onChange: () => void) => () => void
  /** The clock: a redraw every `refreshMs` even without a change (elapsed time, rates). */
  refreshMs?: number
  /** The shortest time between two redraws caused by changes (default 100 ms: 10 frames a second). */
  minFrameMs?: number
}

// ELEMENTS: fan-out elements done/emitted (a crawl's pages while its sitemap message is in flight)
// and their rate; shown only once some route fanned out, so other runs keep their 70 columns.
const COLUMNS = ['ROUTE', 'RECEIVED', 'DONE', 'FAILED', 'DLQ', 'IN FLIGHT', 'RATE/S', 'ELEMENTS', 'ELEM/S'] as const
const WIDTHS = [18, 10, 10, 8, 6, 10, 8, 20, 8]
const BASE_COLUMNS = 7

function Row({cells, bold, color}: {cells: string[]; bold?: boolean; color?: string}) {
  return (
    <Box>
      {cells.map((cell, i) => (
        <Box key={COLUMNS[i]} width={WIDTHS[i]}>
          <Text bold={bold} color={i === 0 ? color : undefined} wrap="truncate">{cell}</Text>
        </Box>
      ))}
    </Box>
  )
}

/**
 * The live view of `factflow run` and `execution watch`: one row per route, then the last errors.
 * Every render reads a fresh snapshot, so a `rerender` (the final frame) always shows the end state.
 */
export function RunView({snapshot, subscribe, refreshMs = 250, minFrameMs = 100}: RunViewProps) {
  const [, redraw] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    const timer = setInterval(redraw, refreshMs)
    return () => clearInterval(timer)
  }, [refreshMs])
  useEffect(() => {
    if (!subscribe) return
    // Throttled, leading edge: a change after a quiet spell is drawn at once; a burst is coalesced
    // into one redraw per `minFrameMs`, which shows the state as it is then.
    let last = 0
    let pending: NodeJS.Timeout | undefined
    const draw = () => {
      pending = undefined
      last = performance.now()
      redraw()
    }
    const unsubscribe = subscribe(() => {
      if (pending) return
      const wait = last + minFrameMs - performance.now()
      if (wait <= 0) draw()
      else pending = setTimeout(draw, wait)
    })
    return () => {
      unsubscribe()
      clearTimeout(pending)
    }
  }, [subscribe, minFrameMs])
  const state = snapshot()
  const running = state.status === 'running' || state.status === 'starting'
  const columns = state.routes.some((r) => r.elements > 0) ? COLUMNS.length : BASE_COLUMNS
  return (
    <Box flexDirection="column">
      <Box>
        {running ? <Text color="cyan"><Spinner type="dots" /> </Text> : null}
        <Text bold>{state.pipelineName}</Text>
        <Text dimColor> {state.executionId} · {state.status} · {(state.elapsedMs / 1000).toFixed(1)}s</Text>
      </Box>
      <Row cells={COLUMNS.slice(0, columns)} bold />
      {state.routes.map((r) => (
        <Row
          key={r.route}
          color={r.dead_lettered > 0 ? 'red' : r.failed > 0 ? 'yellow' : 'green'}
          cells={[
            r.paused ? `${r.route} (paused)` : r.route, String(r.received), String(r.completed), String(r.failed),
            String(r.dead_lettered), String(r.in_flight), r.rate.toFixed(0),
            formatElements(r), r.elements > 0 ? r.element_rate.toFixed(0) : '',
          ].slice(0, columns)}
        />
      ))}
      {Object.entries(state.circuits).filter(([, s]) => s !== 'closed').map(([k, s]) => (
        <Text key={k} color="yellow">circuit {k}: {s}</Text>
      ))}
      {state.note ? <Text dimColor>{state.note}</Text> : null}
      {state.lastErrors.length > 0 ? <Text bold color="red">Last errors</Text> : null}
      {state.lastErrors.map((e, i) => (
        <Text key={i} color={e.willRetry ? 'yellow' : 'red'} wrap="truncate">
          {e.route}/{e.stage ?? '-'}: {e.message}{e.willRetry ? ' (will retry)' : ''}
        </Text>
      ))}
    </Box>
  )
}
