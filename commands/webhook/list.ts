import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class WebhookList extends ClientCommand {
  static override summary = 'Webhook subscriptions, newest first'
  static override examples = ['<%= config.bin %> webhook list', '<%= config.bin %> webhook list --active --json']
  static override flags = {
    active: Flags.boolean({description: 'Only active ones (--no-active: only inactive)', allowNo: true}),
    limit: Flags.integer({description: '1..1000 (default 100)', min: 1, max: 1000}),
    offset: Flags.integer({description: 'Skip this many', min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(WebhookList)
    const client = await this.client(flags)
    const [page, format, {moreLine}] = await Promise.all([
      client.listWebhooks({active: flags.active === undefined ? undefined : String(flags.active), limit: flags.limit, offset: flags.offset}),
      import('../../src/client/webhook-format.js'), import('../../src/cli/format-table.js'),
    ])
    this.print(page, () => `${format.webhookTable(page.webhooks)}${moreLine(page)}`)
  }
}
