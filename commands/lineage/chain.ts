import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class LineageChain extends ClientCommand {
  static override summary = 'A row\'s ancestors and descendants (--tree draws the message tree)'
  static override description = 'Rows of the ancestor messages (root first), every row of the row\'s own message, and the rows of every message derived from it. --tree draws one line per message under its parent, each with its stages, their status and time and the first error; the asked row\'s message is marked ◀.'
  static override examples = ['<%= config.bin %> lineage chain ROW_ID', '<%= config.bin %> lineage chain ROW_ID --tree']
  static override args = {id: Args.string({description: 'Lineage row id', required: true})}
  static override flags = {tree: Flags.boolean({description: 'Draw the message tree'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LineageChain)
    const client = await this.client(flags)
    const [chain, format] = await Promise.all([client.lineageChain(args.id), import('../../src/client/lineage-format.js')])
    this.print(chain, () => (flags.tree ? format.chainTree(chain) : format.chainTable(chain)))
  }
}
