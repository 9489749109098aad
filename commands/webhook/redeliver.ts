import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class WebhookRedeliver extends ClientCommand {
  static override summary = 'Queue an ended delivery again (same id), due now'
  static override examples = ['<%= config.bin %> webhook redeliver DELIVERY_ID']
  static override args = {id: Args.string({description: 'Delivery id (from webhook deliveries)', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookRedeliver)
    const client = await this.client(flags)
    const [delivery, format] = await Promise.all([client.redeliverWebhook(args.id), import('../../src/client/webhook-format.js')])
    this.print(delivery, () => format.deliveryText(delivery))
  }
}
