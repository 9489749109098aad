import {ClientCommand} from '../../src/cli/client-command.js'

export default class SystemMqDiagnostic extends ClientCommand {
  static override summary = 'Publish and consume one message through the server\'s broker, with timings'
  static override examples = ['<%= config.bin %> system mq-diagnostic']

  async run(): Promise<void> {
    const {flags} = await this.parse(SystemMqDiagnostic)
    const result = await (await this.client(flags)).mqDiagnostic()
    this.print(result, () => `${Object.entries(result).map(([key, value]) => `${key}: ${String(value)}`).join('\n')}\n`)
    if (result.ok !== true) this.setExitCode(4)
  }
}
