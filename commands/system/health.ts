import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class SystemHealth extends ClientCommand {
  static override summary = 'Health of the server and each component'
  static override description = 'Exit 0 when healthy or degraded, 4 when unhealthy or unreachable.'
  static override examples = ['<%= config.bin %> system health', '<%= config.bin %> system health --debug --json']
  static override flags = {debug: Flags.boolean({description: 'Ask each component for more detail'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(SystemHealth)
    const client = await this.client(flags)
    const {body} = await client.health(flags.debug)
    const {formatTable} = await import('../../src/cli/format-table.js')
    this.print(body, () => `${client.serverUrl}: ${body.status} (factflow ${body.version})\n${formatTable(['COMPONENT', 'STATUS', 'DETAIL'],
      Object.entries(body.components).map(([name, c]) => [name, c.status, [c.detail, c.latency_ms === undefined ? '' : `${c.latency_ms} ms`].filter(Boolean).join(' · ')]))}`)
    if (body.status === 'unhealthy') this.setExitCode(4)
  }
}
