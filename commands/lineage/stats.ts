import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class LineageStats extends ClientCommand {
  static override summary = 'Per route and adapter: count, completed, failed, average and p95 duration'
  static override examples = ['<%= config.bin %> lineage stats --execution first']
  static override flags = {execution: Flags.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {flags} = await this.parse(LineageStats)
    const client = await this.client(flags)
    const [stats, format] = await Promise.all([client.lineageStats(flags.execution), import('../../src/client/lineage-format.js')])
    this.print(stats, () => format.statsTable(stats))
  }
}
