import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionWait extends ClientCommand {
  static override summary = 'Wait for an execution to end; exit with its code'
  static override description = 'Exit code: 0 completed, 3 completed with dead letters, 1 failed/cancelled/interrupted, 4 server unreachable. --timeout bounds the whole wait.'
  static override examples = ['<%= config.bin %> execution wait first --timeout 10m']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionWait)
    const client = await this.client({...flags, timeout: undefined})
    const [{watchExecution}, format, {parseDuration}] = await Promise.all([
      import('../../src/client/watch-execution.js'), import('../../src/client/execution-format.js'), import('../../src/cli/parse-duration.js'),
    ])
    const waiting = watchExecution(client, args.id, {tui: false, quiet: true})
    const ended = flags.timeout === undefined ? await waiting : await Promise.race([waiting, timeoutAfter(parseDuration(flags.timeout, '--timeout'), args.id)])
    this.print(ended, () => format.executionText(ended))
    this.setExitCode(format.executionExitCode(ended))
  }
}

async function timeoutAfter(ms: number, id: string): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, ms).unref())
  const {ExternalError} = await import('../../src/errors/factflow-error.js')
  throw new ExternalError('WAIT_TIMEOUT', `Execution ${id} did not end within ${ms} ms`, {hint: 'It is still running: wait again, watch it, or cancel it.'})
}
