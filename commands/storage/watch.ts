import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class StorageWatch extends ClientCommand {
  static override summary = 'Stream new objects as they are stored (SSE), one line each'
  static override description = `With --execution: that execution's objects, ending when it ends (exit 0). Without: every execution's, until Ctrl-C. --json prints one JSON document per object and line (NDJSON). A dropped connection is resumed with Last-Event-ID: no object is missed or repeated.`
  static override examples = ['<%= config.bin %> storage watch --execution first', '<%= config.bin %> storage watch --route read --json']
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag (the stream ends with it)'}),
    route: Flags.string({description: 'Only objects of this route'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StorageWatch)
    const client = await this.client(flags)
    const [{followEvents, TERMINAL_EVENT_TYPES}, format] = await Promise.all([import('../../src/client/event-stream.js'), import('../../src/client/storage-format.js')])
    let path = `/storage/events${flags.route ? `?route_id=${encodeURIComponent(flags.route)}` : ''}`
    if (flags.execution !== undefined) path = `/executions/${encodeURIComponent((await client.getExecution(flags.execution)).id)}/storage-stream`
    if (!flags.json) process.stderr.write(`watching new objects${flags.execution ? ` of ${flags.execution}` : ''}${flags.route ? ` (route ${flags.route})` : ''} on ${client.serverUrl}\n`)
    let count = 0
    for await (const event of followEvents(client, path, {
      isTerminal: (e) => TERMINAL_EVENT_TYPES.has(e.event),
      onReconnecting: (attempt) => { if (!flags.json) process.stderr.write(`reconnecting… (attempt ${attempt})\n`) },
    })) {
      if (TERMINAL_EVENT_TYPES.has(event.event)) {
        if (!flags.json) process.stderr.write(`${event.event.replace('execution.', 'execution ')}: ${count} objects\n`)
        break
      }
      const object = event.data as unknown as import('../../src/api/storage-schemas.js').StorageObjectCreated
      if (event.event !== 'storage.object.created' || (flags.route !== undefined && object.route_id !== flags.route)) continue
      count++
      process.stdout.write(flags.json ? `${JSON.stringify({id: event.id, ...object})}\n` : format.createdLine(new Date().toISOString(), object))
    }
  }
}
