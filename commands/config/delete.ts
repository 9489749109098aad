import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ConfigDelete extends ClientCommand {
  static override summary = 'Deactivate a config (its versions and executions are kept)'
  static override examples = ['<%= config.bin %> config delete ID']
  static override args = {id: Args.string({description: 'Config id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ConfigDelete)
    const config = await (await this.client(flags)).deleteConfig(args.id)
    this.print(config, () => `deactivated ${config.name} (${config.id})\n`)
  }
}
