import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionCancel extends ClientCommand {
  static override summary = 'Cancel a running execution (in-flight messages finish or go back to the queue)'
  static override examples = ['<%= config.bin %> execution cancel ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionCancel)
    const client = await this.client(flags)
    const [execution, format] = await Promise.all([client.cancelExecution(args.id), import('../../src/client/execution-format.js')])
    this.print(execution, () => format.executionText(execution))
  }
}
