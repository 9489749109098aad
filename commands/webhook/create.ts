import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class WebhookCreate extends ClientCommand {
  static override summary = 'Subscribe a URL to event types; deliveries are signed with HMAC-SHA256'
  static override description = `Event types: execution.started, execution.completed, execution.failed, execution.cancelled, storage.object_created, lineage.failed, message.dead_lettered. Without --secret one is generated and printed once. The server refuses loopback and private targets unless its settings allow them.`
  static override examples = [
    '<%= config.bin %> webhook create --url https://hooks.example.com/factflow --events execution.completed,execution.failed',
    '<%= config.bin %> webhook create --url https://hooks.example.com/x --events lineage.failed --filter route_id=read --json',
  ]
  static override flags = {
    url: Flags.string({description: 'http(s) URL to POST events to', required: true}),
    events: Flags.string({description: 'Event types, comma-separated', required: true}),
    secret: Flags.string({description: 'Signing secret (16..200 characters; generated when absent)'}),
    filter: Flags.string({description: 'Only events matching key=value (config_id, execution_id, route_id, adapter_name; repeatable)', multiple: true}),
    description: Flags.string({description: 'What it is for'}),
    inactive: Flags.boolean({description: 'Create it paused'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(WebhookCreate)
    const client = await this.client(flags)
    const format = await import('../../src/client/webhook-format.js')
    const filters = format.parseWebhookFilters(flags.filter ?? [])
    const created = await client.createWebhook({
      url: flags.url, event_types: format.parseEventList(flags.events) as never, secret: flags.secret, description: flags.description,
      filters: Object.keys(filters).length > 0 ? filters : undefined, active: flags.inactive ? false : undefined,
    })
    this.print(created, () => format.webhookText(created))
  }
}
