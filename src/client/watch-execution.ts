import type {Execution} from '../api/schemas.js'
import type {ExecutionEvent} from '../engine/events.js'
import {followExecution} from './event-stream.js'
import type {FactflowClient} from './http-client.js'

export interface WatchOptions {
  /** The Ink live view (else progress lines on stderr every 2 s, or nothing with `quiet`). */
  tui: boolean
  quiet?: boolean
}

/**
 * `execution watch` / `config run --watch` / `--wait`: follows the execution's SSE stream into the
 * same model and Ink view as `factflow run`, shows "reconnecting…" while a dropped connection is
 * resumed with Last-Event-ID, and resolves to the execution as stored once it ended.
 */
export async function watchExecution(client: FactflowClient, id: string, options: WatchOptions): Promise<Execution> {
  const execution = await client.getExecution(id)
  const progress = await import('../ui/run-progress-model.js')
  const model = new progress.RunProgressModel(execution.id, execution.config_name)
  let stopView: () => void = () => {}
  if (options.tui) {
    const [{render}, {createElement}, {RunView}] = await Promise.all([import('ink'), import('react'), import('../ui/RunView.js')])
    const snapshot = () => model.snapshot()
    const subscribe = (onChange: () => void) => model.subscribe(onChange)
    const app = render(createElement(RunView, {snapshot, subscribe}), {exitOnCtrlC: true, patchConsole: false})
    stopView = () => {
      // The final frame: drawn from the end state (the terminal event included).
      app.rerender(createElement(RunView, {snapshot, subscribe, refreshMs: 60_000}))
      app.unmount()
    }
  } else if (!options.quiet) {
    process.stderr.write(`watching ${execution.config_name}: execution ${execution.id} on ${client.serverUrl}\n`)
    const timer = setInterval(() => process.stderr.write(`${progress.formatProgressLine(model.snapshot())}\n`), 2000)
    timer.unref()
    stopView = () => clearInterval(timer)
  }
  try {
    for await (const event of followExecution(client, execution.id, {
      onReconnecting: (attempt) => model.setNote(`reconnecting… (attempt ${attempt})`),
    })) {
      model.setNote(undefined)
      model.apply({...event.data, type: event.event} as unknown as ExecutionEvent)
    }
  } finally {
    stopView()
  }
  return client.getExecution(execution.id)
}
