import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class LineageBatch extends ClientCommand {
  static override summary = 'Lineage rows caused by one replay batch'
  static override examples = ['<%= config.bin %> lineage batch BATCH_ID']
  static override args = {id: Args.string({description: 'Replay batch id', required: true})}
  static override flags = {
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LineageBatch)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.lineageBatch(args.id, {limit: flags.limit, offset: flags.offset}), import('../../src/client/lineage-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.lineageTable(page.lineage)}${moreLine(page)}`)
  }
}
