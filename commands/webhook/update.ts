import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class WebhookUpdate extends ClientCommand {
  static override summary = 'Change a subscription: URL, event types, filters, secret, description, active'
  static override examples = ['<%= config.bin %> webhook update ID --no-active', '<%= config.bin %> webhook update ID --events execution.failed --filter route_id=read']
  static override args = {id: Args.string({description: 'Subscription id', required: true})}
  static override flags = {
    url: Flags.string({description: 'New target URL'}),
    events: Flags.string({description: 'New event types, comma-separated'}),
    secret: Flags.string({description: 'New signing secret (16..200 characters)'}),
    filter: Flags.string({description: 'New filters key=value (replace the old ones; repeatable)', multiple: true}),
    description: Flags.string({description: 'New description'}),
    active: Flags.boolean({description: 'Resume deliveries (--no-active pauses them)', allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WebhookUpdate)
    const client = await this.client(flags)
    const format = await import('../../src/client/webhook-format.js')
    const body = {
      url: flags.url, event_types: flags.events === undefined ? undefined : format.parseEventList(flags.events) as never, secret: flags.secret,
      filters: flags.filter === undefined ? undefined : format.parseWebhookFilters(flags.filter), description: flags.description, active: flags.active,
    }
    const updated = await client.updateWebhook(args.id, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)))
    this.print(updated, () => format.webhookText(updated))
  }
}
