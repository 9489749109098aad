import {ClientCommand} from '../../src/cli/client-command.js'
import {Args} from '../../src/cli/oclif.js'

export default class StorageMetadata extends ClientCommand {
  static override summary = 'An object\'s size, content type, time and metadata (execution, route, stage, message, sha256)'
  static override examples = ['<%= config.bin %> storage metadata executions/ID/read/file_reader/MESSAGE.md']
  static override args = {key: Args.string({description: 'Object key', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StorageMetadata)
    const client = await this.client(flags)
    const [object, format] = await Promise.all([client.objectMetadata(args.key), import('../../src/client/storage-format.js')])
    this.print(object, () => format.metadataText(object))
  }
}
