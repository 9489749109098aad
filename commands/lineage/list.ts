import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class LineageList extends ClientCommand {
  static override summary = 'Lineage rows of an execution: one per message per adapter invocation'
  static override examples = [
    '<%= config.bin %> lineage list --execution first',
    '<%= config.bin %> lineage list --execution first --status failed --route read --json',
  ]
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag', required: true}),
    status: Flags.string({description: 'Only rows with this stage status', options: ['pending', 'processing', 'completed', 'failed', 'cancelled', 'skipped']}),
    adapter: Flags.string({description: 'Only rows of this adapter type'}),
    route: Flags.string({description: 'Only rows of this route'}),
    sort: Flags.string({description: 'Order by (default started_at)', options: ['started_at', 'completed_at', 'duration_ms', 'route_id', 'adapter_name', 'stage_status']}),
    desc: Flags.boolean({description: 'Descending order'}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LineageList)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.listLineage({
        execution_id: flags.execution, status: flags.status, adapter: flags.adapter, route_id: flags.route,
        sort_by: flags.sort, sort_order: flags.desc ? 'desc' : undefined, limit: flags.limit, offset: flags.offset,
      }),
      import('../../src/client/lineage-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.lineageTable(page.lineage)}${moreLine(page)}`)
  }
}
