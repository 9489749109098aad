import path from 'node:path'

import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class ConfigCreate extends ClientCommand {
  static override summary = 'Store a pipeline config on the server (kept even when invalid, with its report)'
  static override description = 'Exit 0 when the stored config is valid, 2 when it is stored but invalid (its report is printed).'
  static override examples = ['<%= config.bin %> config create -f pipeline.yaml', 'cat pipeline.yaml | <%= config.bin %> config create -f - --name docs']
  static override flags = {
    file: Flags.string({char: 'f', description: 'Pipeline YAML file, or - for stdin', required: true}),
    name: Flags.string({description: 'Config name (default: the file name without extension)'}),
    description: Flags.string({description: 'What the config is for'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ConfigCreate)
    const client = await this.client(flags)
    const [{readInputFile}, format] = await Promise.all([import('../../src/cli/read-input-file.js'), import('../../src/client/config-format.js')])
    const yaml = await readInputFile(flags.file)
    const name = flags.name ?? (flags.file === '-' ? 'stdin' : path.basename(flags.file).replace(/\.ya?ml$/i, ''))
    const config = await client.createConfig({name, config_yaml: yaml, ...(flags.description ? {description: flags.description} : {})})
    this.print(config, () => format.configText(config))
    if (!config.validation_report.is_valid) this.setExitCode(2)
  }
}
