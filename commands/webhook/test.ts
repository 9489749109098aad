import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class WebhookTest extends ClientCommand {
  static override summary = 'Send a webhook.test event now and show the attempt (status, response code, time)'
  static override description = 'Exit 0 when the target answered 2xx, 1 otherwise (the delivery is logged either way).'
  static override examples = ['<%= config.bin %> webhook test ID']
  static override args = {id: Args.string({description: 'Subscription id', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookTest)
    const client = await this.client(flags)
    const [delivery, format] = await Promise.all([client.testWebhook(args.id), import('../../src/client/webhook-format.js')])
    this.print(delivery, () => format.deliveryText(delivery))
    if (delivery.status !== 'succeeded') this.setExitCode(1)
  }
}
