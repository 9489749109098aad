import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class StorageList extends ClientCommand {
  static override summary = 'The artefacts an execution stored'
  static override examples = ['<%= config.bin %> storage list --execution first', '<%= config.bin %> storage list --execution first --route read --extension md --json']
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag', required: true}),
    route: Flags.string({description: 'Only this route\'s artefacts'}),
    stage: Flags.string({description: 'Only this stage\'s artefacts'}),
    extension: Flags.string({description: 'Only keys ending in .EXTENSION'}),
    metadata: Flags.boolean({description: 'Include each object\'s metadata (with --json)'}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StorageList)
    const client = await this.client(flags)
    const [listing, format, {moreLine}] = await Promise.all([
      client.browseStorage({
        execution_id: flags.execution, route_id: flags.route, stage: flags.stage, extension: flags.extension,
        include_metadata: flags.metadata || undefined, limit: flags.limit, offset: flags.offset,
      }),
      import('../../src/client/storage-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(listing, () => `${format.listingTable(listing)}${moreLine(listing)}`)
  }
}
