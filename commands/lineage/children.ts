import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class LineageChildren extends ClientCommand {
  static override summary = 'Rows of the messages emitted from a row\'s message'
  static override examples = ['<%= config.bin %> lineage children ROW_ID']
  static override args = {id: Args.string({description: 'Lineage row id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LineageChildren)
    const client = await this.client(flags)
    const [children, format] = await Promise.all([client.lineageChildren(args.id), import('../../src/client/lineage-format.js')])
    this.print(children, () => format.lineageTable(children.children))
  }
}
