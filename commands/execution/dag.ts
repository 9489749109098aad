import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class ExecutionDag extends ClientCommand {
  static override summary = 'Routes as nodes and queues as edges'
  static override examples = ['<%= config.bin %> execution dag ID']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ExecutionDag)
    const client = await this.client(flags)
    const dag = await client.executionDag(args.id)
    this.print(dag, () => [...dag.nodes.map((n) => `${n.route_id}: ${n.adapters.join(' → ')}`), ...dag.edges.map((e) => `${e.from_route} → ${e.to_route} (${e.queue})`)].join('\n') + '\n')
  }
}
