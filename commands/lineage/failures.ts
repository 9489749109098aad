import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class LineageFailures extends ClientCommand {
  static override summary = 'Failed lineage rows, newest first, with their errors'
  static override examples = ['<%= config.bin %> lineage failures', '<%= config.bin %> lineage failures --execution first --json']
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag'}),
    route: Flags.string({description: 'Only rows of this route'}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LineageFailures)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.lineageFailures({execution_id: flags.execution, route_id: flags.route, limit: flags.limit, offset: flags.offset}),
      import('../../src/client/lineage-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.lineageTable(page.lineage)}${moreLine(page)}`)
  }
}
