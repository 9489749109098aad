import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ExecutionWatch extends ClientCommand {
  static override summary = 'Live view of an execution on the server (SSE), ending with its summary and exit code'
  static override description = 'The same view as `factflow run`: per-route counters and rates, the last errors, circuit states. A dropped connection is resumed with Last-Event-ID ("reconnecting…"). Exit code: 0 completed, 3 completed with dead letters, 1 failed/cancelled/interrupted.'
  static override examples = ['<%= config.bin %> execution watch first', '<%= config.bin %> execution watch 0193… --no-tui']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}
  static override flags = {tui: Flags.boolean({allowNo: true, default: true, description: 'Ink live view (--no-tui: a progress line every 2 s)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionWatch)
    const client = await this.client(flags)
    const [{watchExecution}, format] = await Promise.all([import('../../src/client/watch-execution.js'), import('../../src/client/execution-format.js')])
    const ended = await watchExecution(client, args.id, {tui: flags.tui && !flags.json && process.stdout.isTTY === true, quiet: flags.json})
    this.print(ended, () => format.executionText(ended))
    this.setExitCode(format.executionExitCode(ended))
  }
}
