import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class WebhookGet extends ClientCommand {
  static override summary = 'A webhook subscription (without its secret)'
  static override examples = ['<%= config.bin %> webhook get ID']
  static override args = {id: Args.string({description: 'Subscription id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookGet)
    const client = await this.client(flags)
    const [webhook, format] = await Promise.all([client.getWebhook(args.id), import('../../src/client/webhook-format.js')])
    this.print(webhook, () => format.webhookText(webhook))
  }
}
