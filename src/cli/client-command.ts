import type {FactflowClient} from '../client/http-client.js'
import {BaseCommand} from './base-command.js'
import {Flags} from './oclif.js'

/**
 * A command that talks to a server (docs/reference/cli.md, "Client commands"): `--server` /
 * `FACTFLOW_SERVER_URL` (default http://localhost:8000), `--header` / `FACTFLOW_HEADERS`,
 * `--timeout`, `--json`. With `--json`, errors are one JSON document on stdout too:
 * `{"error": {"code", "message", "hint"}}`, with the same exit code (`BaseCommand`).
 */
export abstract class ClientCommand extends BaseCommand {
  static override baseFlags = {
    server: Flags.string({description: 'Server URL (env FACTFLOW_SERVER_URL; default http://localhost:8000)', helpGroup: 'SERVER'}),
    header: Flags.string({description: 'Extra request header "Name: value" (repeatable; env FACTFLOW_HEADERS)', multiple: true, helpGroup: 'SERVER'}),
    timeout: Flags.string({description: 'Per request, or the whole wait for --wait/wait (e.g. 30s, 10m)', helpGroup: 'SERVER'}),
    json: Flags.boolean({description: 'Print one JSON document (errors too)'}),
  }

  /** The client for the parsed global flags. */
  protected async client(flags: {server?: string; header?: string[]; timeout?: string; json?: boolean}): Promise<FactflowClient> {
    this.jsonOutput = flags.json === true
    // Only what a successful call needs is loaded: the duration parser only for --timeout.
    const {FactflowClient, DEFAULT_SERVER_URL, parseHeaders} = await import('../client/http-client.js')
    const timeoutMs = flags.timeout === undefined ? undefined : (await import('./parse-duration.js')).parseDuration(flags.timeout, '--timeout')
    return new FactflowClient({
      serverUrl: flags.server ?? process.env.FACTFLOW_SERVER_URL ?? DEFAULT_SERVER_URL,
      headers: await parseHeaders(flags.header ?? [], process.env.FACTFLOW_HEADERS),
      timeoutMs,
    })
  }

  /** `value` as JSON (with --json) or as `text()`. */
  protected print(value: unknown, text: () => string): void {
    process.stdout.write(this.jsonOutput ? `${JSON.stringify(value, null, 2)}\n` : text())
  }
}
