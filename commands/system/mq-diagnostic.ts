import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'

export default class SystemMqDiagnostic extends BaseCommand {
  static override summary = 'Publish and consume a test message on a broker, timing each step'
  static override description = `Local form: connects to the broker of --queue (or FACTFLOW_QUEUE_URL), subscribes to a fresh queue, publishes one test message, waits for it and deletes the queue, printing each step with its time. Stops at the first step that fails and says why.

Exit codes: 0 the round trip worked, 4 a step failed (broker unreachable, refused, or the message did not come back), 2 the URL is not a queue URL.`
  static override examples = [
    '<%= config.bin %> system mq-diagnostic --queue amqp://guest:guest@127.0.0.1:5672',
    '<%= config.bin %> system mq-diagnostic --queue stomp://guest:guest@127.0.0.1:61613 --json',
  ]
  static override flags = {
    queue: Flags.string({description: 'Broker URL (memory://, amqp://…, stomp://…)', env: 'FACTFLOW_QUEUE_URL', required: true}),
    timeout: Flags.string({description: 'How long to wait for the test message (e.g. 5s)', default: '5s'}),
    json: Flags.boolean({description: 'Print one JSON document'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SystemMqDiagnostic)
    const [{runQueueDiagnostic}, {parseDuration}, {silentLogger}] = await Promise.all([
      import('../../src/queue/queue-diagnostic.js'), import('../../src/cli/parse-duration.js'), import('../../src/logging/logger.js'),
    ])
    const report = await runQueueDiagnostic({queueUrl: flags.queue, logger: silentLogger, timeoutMs: parseDuration(flags.timeout)})
    if (flags.json) {
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
