import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class PipelineResume extends ClientCommand {
  static override summary = 'Resume a route in every running execution that has it (or one)'
  static override examples = ['<%= config.bin %> pipeline resume embed', '<%= config.bin %> pipeline resume embed --execution first']
  static override args = {route: Args.string({description: 'Route id', required: true})}
  static override flags = {execution: Flags.string({description: 'Only this execution (id or tag)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PipelineResume)
    const result = await (await this.client(flags)).setRouteState(args.route, 'running', flags.execution)
    this.print(result, () => `${args.route}: running${Array.isArray(result.executions) ? ` in ${result.executions.length} execution(s)` : ''}\n`)
  }
}
