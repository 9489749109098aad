import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ConfigEdit extends ClientCommand {
  static override summary = 'Store a new version of a config from a file'
  static override description = 'Exit 0 when the new version is valid, 2 when it is stored but invalid.'
  static override examples = ['<%= config.bin %> config edit ID -f pipeline.yaml']
  static override args = {id: Args.string({description: 'Config id', required: true})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'Pipeline YAML file, or - for stdin', required: true}),
    description: Flags.string({description: 'What the config is for'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigEdit)
    const client = await this.client(flags)
    const [{readInputFile}, format] = await Promise.all([import('../../src/cli/read-input-file.js'), import('../../src/client/config-format.js')])
    const config = await client.updateConfig(args.id, {config_yaml: await readInputFile(flags.file), ...(flags.description ? {description: flags.description} : {})})
    this.print(config, () => format.configText(config))
    if (!config.validation_report.is_valid) this.setExitCode(2)
  }
}
