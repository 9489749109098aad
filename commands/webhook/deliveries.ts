import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class WebhookDeliveries extends ClientCommand {
  static override summary = 'A subscription\'s deliveries, newest first (--json: with every attempt)'
  static override examples = ['<%= config.bin %> webhook deliveries ID', '<%= config.bin %> webhook deliveries ID --status dead --json']
  static override args = {id: Args.string({description: 'Subscription id', required: true})}
  static override flags = {
    status: Flags.string({description: 'Only this status', options: ['pending', 'delivering', 'succeeded', 'failed', 'dead']}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookDeliveries)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.webhookDeliveries(args.id, {status: flags.status, limit: flags.limit, offset: flags.offset}),
      import('../../src/client/webhook-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.deliveryTable(page.deliveries)}${moreLine(page)}`)
  }
}
