import {Box, Text} from 'ink'
import Spinner from 'ink-spinner'
import {useEffect, useState} from 'react'

import {formatElements, type RunProgressSnapshot} from './run-progress-model.js'

export interface RunViewProps {
  snapshot: () => RunProgressSnapshot
  refreshMs?: number
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

/** The live view of `factflow run`: one row per route, then the last errors. */
export function RunView({snapshot, refreshMs = 250}: RunViewProps) {
  const [state, setState] = useState(snapshot)
  useEffect(() => {
    const timer = setInterval(() => setState(snapshot()), refreshMs)
    return () => clearInterval(timer)
  }, [snapshot, refreshMs])
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
