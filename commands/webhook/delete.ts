import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class WebhookDelete extends ClientCommand {
  static override summary = 'Delete a subscription with its delivery log'
  static override examples = ['<%= config.bin %> webhook delete ID']
  static override args = {id: Args.string({description: 'Subscription id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookDelete)
    const client = await this.client(flags)
    await client.deleteWebhook(args.id)
    this.print({id: args.id, deleted: true}, () => `Deleted webhook ${args.id}.\n`)
  }
}
