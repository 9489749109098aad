import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class DlqList extends ClientCommand {
  static override summary = 'Dead-lettered messages, oldest first, with their errors'
  static override examples = ['<%= config.bin %> dlq list', '<%= config.bin %> dlq list --execution first --pending --json']
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag'}),
    route: Flags.string({description: 'Only this route\'s'}),
    pending: Flags.boolean({description: 'Only those not redriven yet'}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DlqList)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.listDeadLetters({
        execution_id: flags.execution, route_id: flags.route, include_redriven: flags.pending ? 'false' : undefined, limit: flags.limit, offset: flags.offset,
      }),
      import('../../src/client/dlq-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.deadLetterTable(page.dead_letters)}${moreLine(page)}`)
  }
}
