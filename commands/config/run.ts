import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ConfigRun extends ClientCommand {
  static override summary = 'Run a stored config on the server'
  static override description = 'Prints the started execution. --wait waits for it to end and exits with its code (0 completed, 3 with dead letters, 1 failed/cancelled); --watch opens the live view.'
  static override examples = [
    '<%= config.bin %> config run ID --set path=./docs --tag docs-1 --wait',
    '<%= config.bin %> config run ID --watch',
  ]
  static override args = {id: Args.string({description: 'Config id', required: true})}
  static override flags = {
    set: Flags.string({description: 'Override an init payload field (dotted key=value; repeatable)', multiple: true, default: []}),
    'init-payload': Flags.string({description: 'JSON object merged over the init payload'}),
    tag: Flags.string({description: 'A unique tag to find the execution by'}),
    wait: Flags.boolean({description: 'Wait for the end; exit with the execution\'s code', exclusive: ['watch']}),
    watch: Flags.boolean({description: 'Open the live view until the end', exclusive: ['wait']}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigRun)
    const client = await this.client(flags)
    const [{buildInitOverrides}, format] = await Promise.all([import('../../src/runtime/init-overrides.js'), import('../../src/client/execution-format.js')])
    const started = await client.runConfig(args.id, buildInitOverrides(flags.set, flags['init-payload']), flags.tag)
    if (!flags.wait && !flags.watch) {
      this.print(started, () => format.executionText(started))
      return
    }
    const {watchExecution} = await import('../../src/client/watch-execution.js')
    const ended = await watchExecution(client, started.id, {tui: flags.watch && !flags.json && process.stdout.isTTY === true, quiet: flags.wait || flags.json})
    this.print(ended, () => format.executionText(ended))
    this.setExitCode(format.executionExitCode(ended))
  }
}
