import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class StorageBrowse extends ClientCommand {
  static override summary = 'Browse the server\'s object storage like a folder: prefixes and objects under PREFIX'
  static override examples = ['<%= config.bin %> storage browse', '<%= config.bin %> storage browse executions/', '<%= config.bin %> storage browse executions/ID/ --recursive --json']
  static override args = {prefix: Args.string({description: 'Key prefix (e.g. executions/ID/)', default: ''})}
  static override flags = {
    recursive: Flags.boolean({description: 'Every object under the prefix (no grouping by "/")'}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StorageBrowse)
    const client = await this.client(flags)
    const [listing, format, {moreLine}] = await Promise.all([
      client.browseStorage({prefix: args.prefix || undefined, delimiter: flags.recursive ? undefined : '/', limit: flags.limit, offset: flags.offset}),
      import('../../src/client/storage-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(listing, () => `${format.listingTable(listing)}${moreLine(listing)}`)
  }
}
