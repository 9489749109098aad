import {BaseCommand} from '../../src/cli/base-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class AdaptersList extends BaseCommand {
  static override summary = 'List the built-in adapter catalog'
  static override description = `One line per adapter type: its family, whether it is implemented in this build (\`factflow run\` refuses a pipeline that uses an adapter which is not), and what it does. \`factflow adapters show TYPE\` prints its config fields and an example.`
  static override examples = [
    '<%= config.bin %> adapters list',
    '<%= config.bin %> adapters list --json',
  ]
  static override flags = {
    json: Flags.boolean({description: 'Print one JSON document'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AdaptersList)
    const [{builtinAdapterRegistry}, {formatTable}] = await Promise.all([
      import('../../src/adapters/registry.js'),
      import('../../src/cli/format-table.js'),
    ])
    const rows = builtinAdapterRegistry().list().map((definition) => ({
      type: definition.type,
      family: definition.family,
      implemented: definition.load !== undefined,
      summary: definition.summary,
      io: definition.io ?? null,
    }))
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
      return
    }
    process.stdout.write(formatTable(['TYPE', 'FAMILY', 'IMPLEMENTED', 'SUMMARY'],
      rows.map((row) => [row.type, row.family, row.implemented ? 'yes' : 'no', row.summary])))
  }
}
