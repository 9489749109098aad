import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class ExecutionList extends ClientCommand {
  static override summary = 'List executions on the server, newest first'
  static override examples = ['<%= config.bin %> execution list --status running', '<%= config.bin %> execution list --limit 20 --json']
  static override flags = {
    status: Flags.string({description: 'Only this status', options: ['running', 'completed', 'failed', 'cancelled', 'interrupted']}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
    config: Flags.string({description: 'Only executions of this config id'}),
    tag: Flags.string({description: 'Only executions whose tag starts with this'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ExecutionList)
    const client = await this.client(flags)
    const [list, format] = await Promise.all([
      client.listExecutions({status: flags.status, limit: flags.limit, offset: flags.offset, config_id: flags.config, tag: flags.tag}),
      import('../../src/client/execution-format.js'),
    ])
    this.print(list, () => `${format.executionTable(list.executions)}${list.has_more ? `… ${list.total} in all (--offset ${list.offset + list.limit} for more)\n` : ''}`)
  }
}
