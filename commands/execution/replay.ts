import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ExecutionReplay extends ClientCommand {
  static override summary = 'Replay the stored artefacts of one stage of an ended execution into a new execution'
  static override description = 'The new execution (parent = ID) starts every route without the init message and takes one message per artefact that the stage stored, with its storage_key, on the route that reads the stage\'s route (or --to-route); routes and queues come from the parent\'s stored pipeline, or from --config. Every lineage row the replay causes carries its replay_batch_id. --wait waits for the end and exits with its code (0 completed, 3 with dead letters, 1 failed/cancelled); --watch opens the live view.'
  static override examples = [
    '<%= config.bin %> execution replay ID --from-stage markdown --wait',
    '<%= config.bin %> execution replay docs-1 --from-stage file_reader --to-route segment --config CONFIG_ID',
  ]
  static override args = {id: Args.string({description: 'Execution id or tag (ended)', required: true})}
  static override flags = {
    'from-stage': Flags.string({description: 'Stage whose artefacts are replayed (adapter id, or type when it has none)', required: true}),
    'to-route': Flags.string({description: 'Route to replay into (default: the route that reads the stage\'s route)'}),
    config: Flags.string({description: 'Run the replay with this stored config instead of the parent\'s pipeline'}),
    tag: Flags.string({description: 'A unique tag for the new execution'}),
    wait: Flags.boolean({description: 'Wait for the end; exit with the execution\'s code', exclusive: ['watch']}),
    watch: Flags.boolean({description: 'Open the live view until the end', exclusive: ['wait']}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionReplay)
    const client = await this.client(flags)
    const [started, format] = await Promise.all([
      client.replayExecution(args.id, {from_stage: flags['from-stage'], to_route: flags['to-route'], config_id: flags.config, tag: flags.tag}),
      import('../../src/client/execution-format.js'),
    ])
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
