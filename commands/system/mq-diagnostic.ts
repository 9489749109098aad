import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class SystemMqDiagnostic extends ClientCommand {
  static override summary = 'Publish and consume one message through a broker, with timings'
  static override description = `Server form (default): asks the server to publish and consume one message through its broker.

Local form (--queue URL): connects to that broker from here, subscribes to a fresh queue, publishes one test message, waits for it (--timeout, default 5s) and deletes the queue, printing each step with its time; stops at the first step that fails and says why.

Exit codes: 0 the round trip worked, 4 it failed (server or broker unreachable, refused, or the message did not come back), 2 the URL is not a queue URL.`
  static override examples = [
    '<%= config.bin %> system mq-diagnostic',
    '<%= config.bin %> system mq-diagnostic --queue amqp://guest:guest@127.0.0.1:5672',
    '<%= config.bin %> system mq-diagnostic --queue stomp://guest:guest@127.0.0.1:61613 --json',
  ]
  static override flags = {
    queue: Flags.string({description: 'Diagnose this broker directly, without a server (memory://, amqp://…, stomp://…)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SystemMqDiagnostic)
    if (flags.queue !== undefined) {
      await this.local(flags.queue, flags.timeout, flags.json === true)
      return
    }
    const result = await (await this.client(flags)).mqDiagnostic()
    this.print(result, () => `${Object.entries(result).map(([key, value]) => `${key}: ${String(value)}`).join('\n')}\n`)
    if (result.ok !== true) this.setExitCode(4)
  }

  private async local(queueUrl: string, timeout: string | undefined, json: boolean): Promise<void> {
    const [{runQueueDiagnostic}, {parseDuration}, {silentLogger}] = await Promise.all([
      import('../../src/queue/queue-diagnostic.js'), import('../../src/cli/parse-duration.js'), import('../../src/logging/logger.js'),
    ])
    const report = await runQueueDiagnostic({queueUrl, logger: silentLogger, timeoutMs: timeout === undefined ? 5000 : parseDuration(timeout)})
    if (json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    } else {
      const lines = [`${report.provider} broker ${report.url}`]
      for (const step of report.steps) {
        lines.push(`  ${step.ok ? '✓' : '✗'} ${step.step.padEnd(9)} ${`${step.ms.toFixed(1)} ms`.padStart(10)}${step.ok ? '' : `  ${step.code ? `[${step.code}] ` : ''}${step.error}`}`)
      }
      lines.push(report.ok ? `round trip ok in ${report.total_ms.toFixed(1)} ms` : 'round trip failed')
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    if (!report.ok) this.setExitCode(4)
  }
}
