import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class LineageGet extends ClientCommand {
  static override summary = 'One lineage row: message, stage, status, timing, error'
  static override examples = ['<%= config.bin %> lineage get ROW_ID']
  static override args = {id: Args.string({description: 'Lineage row id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LineageGet)
    const client = await this.client(flags)
    const [row, format] = await Promise.all([client.getLineage(args.id), import('../../src/client/lineage-format.js')])
    this.print(row, () => format.lineageRowText(row))
  }
}
