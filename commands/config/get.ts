import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ConfigGet extends ClientCommand {
  static override summary = 'A stored config with its validation report (--yaml: and its YAML)'
  static override examples = ['<%= config.bin %> config get ID --yaml']
  static override args = {id: Args.string({description: 'Config id', required: true})}
  static override flags = {yaml: Flags.boolean({description: 'Print the YAML too'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigGet)
    const client = await this.client(flags)
    const [config, format] = await Promise.all([client.getConfig(args.id), import('../../src/client/config-format.js')])
    this.print(config, () => format.configText(config, flags.yaml))
  }
}
