import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionGet extends ClientCommand {
  static override summary = 'An execution with its status, per-route counts and error'
  static override examples = ['<%= config.bin %> execution get ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionGet)
    const client = await this.client(flags)
    const [execution, format] = await Promise.all([client.getExecution(args.id), import('../../src/client/execution-format.js')])
    this.print(execution, () => format.executionText(execution))
  }
}
