import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class ConfigList extends ClientCommand {
  static override summary = 'List stored configs'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --inactive --json']
  static override flags = {
    active: Flags.boolean({description: 'Only active configs (the default)', exclusive: ['inactive', 'all']}),
    inactive: Flags.boolean({description: 'Only deactivated configs', exclusive: ['active', 'all']}),
    all: Flags.boolean({description: 'Active and deactivated', exclusive: ['active', 'inactive']}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ConfigList)
    const client = await this.client(flags)
    const active = flags.inactive ? 'false' : flags.all ? 'all' : 'true'
    const [list, format] = await Promise.all([client.listConfigs({active, limit: flags.limit, offset: flags.offset}), import('../../src/client/config-format.js')])
    this.print(list, () => format.configTable(list))
  }
}
