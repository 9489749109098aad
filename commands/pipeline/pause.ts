import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class PipelinePause extends ClientCommand {
  static override summary = 'Pause a route in every running execution that has it (or one)'
  static override examples = ['<%= config.bin %> pipeline pause embed', '<%= config.bin %> pipeline pause embed --execution first']
  static override args = {route: Args.string({description: 'Route id', required: true})}
  static override flags = {execution: Flags.string({description: 'Only this execution (id or tag)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PipelinePause)
    const result = await (await this.client(flags)).setRouteState(args.route, 'paused', flags.execution)
    this.print(result, () => `${args.route}: paused${Array.isArray(result.executions) ? ` in ${result.executions.length} execution(s)` : ''}\n`)
  }
}
