import {BaseCommand} from '../../src/cli/base-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class AdaptersShow extends BaseCommand {
  static override summary = 'Show one adapter: its config fields with defaults, an example, and whether it is implemented'
  static override description = `Prints what the adapter reads and emits, each config field (name, type, default, required, description), an example step as YAML, and whether this build implements it. With --json: the JSON Schema of its config plus the same fields.

Exit code 2 when no adapter has that type (with the nearest names).`
  static override examples = [
    '<%= config.bin %> adapters show web_scraper',
    '<%= config.bin %> adapters show smart_segmenter --json',
  ]
  static override args = {
    type: Args.string({description: 'Adapter type, e.g. web_scraper', required: true}),
  }
  static override flags = {
    json: Flags.boolean({description: 'Print one JSON document (config JSON Schema and fields)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AdaptersShow)
    const [{builtinAdapterRegistry}, {describeAdapterConfig}, {formatAdapterDetails}] = await Promise.all([
      import('../../src/adapters/registry.js'),
      import('../../src/config/json-schema.js'),
      import('../../src/config/format-adapter.js'),
    ])
    const definition = builtinAdapterRegistry().require(args.type)
    const {schema, fields} = describeAdapterConfig(definition)
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({
        type: definition.type,
        family: definition.family,
        summary: definition.summary,
        io: definition.io ?? null,
        implemented: definition.load !== undefined,
        fields,
        config_schema: schema,
        example: definition.example ?? {},
      }, null, 2)}\n`)
      return
    }
    process.stdout.write(formatAdapterDetails(definition, fields))
  }
}
