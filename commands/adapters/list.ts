import {Command, Flags} from '@oclif/core'

export default class AdaptersList extends Command {
  static override summary = 'List the built-in adapter catalog'
  static override flags = {json: Flags.boolean({description: 'Print one JSON document'})}
  async run(): Promise<void> {
    const {builtinAdapterRegistry} = await import('../../src/adapters/registry.js')
    for (const d of builtinAdapterRegistry().list()) this.log(`${d.type}\t${d.summary}`)
  }
}
