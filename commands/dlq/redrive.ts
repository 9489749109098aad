import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class DlqRedrive extends ClientCommand {
  static override summary = 'Send dead-lettered messages back to their route: one by id, or every one of an execution'
  static override description = 'A running execution takes them at once; an ended one runs again for them. A message that fails again is dead-lettered again.'
  static override examples = ['<%= config.bin %> dlq redrive ID', '<%= config.bin %> dlq redrive --execution first --route read']
  static override args = {id: Args.string({description: 'Dead letter id (or use --execution)'})}
  static override flags = {
    execution: Flags.string({description: 'Every dead letter of this execution (id or tag) not redriven yet'}),
    route: Flags.string({description: 'With --execution: only this route\'s', dependsOn: ['execution']}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DlqRedrive)
    const client = await this.client(flags)
    if ((args.id === undefined) === (flags.execution === undefined)) {
      const {UserInputError} = await import('../../src/errors/factflow-error.js')
      throw new UserInputError('FLAG_INVALID', 'Give a dead letter id or --execution ID (one of them).', {hint: 'factflow dlq redrive ID, or factflow dlq redrive --execution ID'})
    }
    const [result, format] = await Promise.all([
      args.id === undefined ? client.redriveDeadLetters({execution_id: flags.execution!, route_id: flags.route}) : client.redriveDeadLetter(args.id),
      import('../../src/client/dlq-format.js'),
    ])
    this.print(result, () => format.redriveText(result))
  }
}
