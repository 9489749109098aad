import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionStats extends ClientCommand {
  static override summary = 'Per-route counters and totals'
  static override examples = ['<%= config.bin %> execution stats ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionStats)
    const client = await this.client(flags)
    const stats = await client.executionStats(args.id)
    this.print(stats, () => `${JSON.stringify(stats, null, 2)}\n`)
  }
}
