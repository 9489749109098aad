import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class PipelineList extends ClientCommand {
  static override summary = 'Routes of the running executions with their state and queue'
  static override examples = ['<%= config.bin %> pipeline list', '<%= config.bin %> pipeline list --execution first']
  static override flags = {execution: Flags.string({description: 'Only this execution (id or tag)'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(PipelineList)
    const result = await (await this.client(flags)).listPipelines(flags.execution)
    const {formatTable} = await import('../../src/cli/format-table.js')
    const rows = (result.routes as Array<Record<string, unknown>> | undefined) ?? []
    this.print(result, () => formatTable(['EXECUTION', 'ROUTE', 'STATE', 'QUEUE'], rows.map((r) => [
      String(r.execution_id ?? ''), String(r.route_id ?? ''), String(r.state ?? ''), String(r.queue ?? ''),
    ])))
  }
}
