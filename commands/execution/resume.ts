import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionResume extends ClientCommand {
  static override summary = 'Resume an interrupted execution from what the broker and database still hold'
  static override examples = ['<%= config.bin %> execution resume ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionResume)
    const client = await this.client(flags)
    const [execution, format] = await Promise.all([client.resumeExecution(args.id), import('../../src/client/execution-format.js')])
    this.print(execution, () => format.executionText(execution))
  }
}
