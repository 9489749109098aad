import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class DlqShow extends ClientCommand {
  static override summary = 'A dead letter: its error, attempts, stage and payload'
  static override examples = ['<%= config.bin %> dlq show ID']
  static override args = {id: Args.string({description: 'Dead letter id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DlqShow)
    const client = await this.client(flags)
    const [letter, format] = await Promise.all([client.getDeadLetter(args.id), import('../../src/client/dlq-format.js')])
    this.print(letter, () => format.deadLetterText(letter))
  }
}
