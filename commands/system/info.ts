import {ClientCommand} from '../../src/cli/client-command.js'

export default class SystemInfo extends ClientCommand {
  static override summary = 'Version, database, broker, storage, LLM profiles and limits of the server'
  static override examples = ['<%= config.bin %> system info']

  async run(): Promise<void> {
    const {flags} = await this.parse(SystemInfo)
    const info = await (await this.client(flags)).info()
    this.print(info, () => `${Object.entries(info).map(([key, value]) => `${`${key}:`.padEnd(13)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join('\n')}\n`)
  }
}
