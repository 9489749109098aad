import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionRoutes extends ClientCommand {
  static override summary = 'Each route with its queue, adapters and state'
  static override examples = ['<%= config.bin %> execution routes ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionRoutes)
    const client = await this.client(flags)
    const {routes} = await client.executionRoutes(args.id)
    const {formatTable} = await import('../../src/cli/format-table.js')
    this.print({routes}, () => formatTable(['ROUTE', 'STATE', 'QUEUE'], routes.map((r) => [String(r.route_id ?? r.id ?? ''), String(r.state ?? ''), String(r.queue ?? '')])))
  }
}
