import {BaseCommand} from '../../src/cli/base-command.js'

export default class ConfigSchema extends BaseCommand {
  static override summary = 'Print the JSON Schema of the pipeline file'
  static override description = `Prints the JSON Schema (draft 2020-12) of pipeline YAML files, built from the same schemas the validator uses: each adapter step carries its adapter's config schema, so editors complete and check adapter configs too.

Save it and point your editor's YAML language server at it with a first line such as
  # yaml-language-server: $schema=./pipeline.schema.json`
  static override examples = [
    '<%= config.bin %> config schema > pipeline.schema.json',
  ]

  async run(): Promise<void> {
    await this.parse(ConfigSchema)
    const [{buildPipelineJsonSchema}, {builtinAdapterRegistry}] = await Promise.all([
      import('../../src/config/json-schema.js'),
      import('../../src/adapters/registry.js'),
    ])
    process.stdout.write(`${JSON.stringify(buildPipelineJsonSchema(builtinAdapterRegistry()), null, 2)}\n`)
  }
}
