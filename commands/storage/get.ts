import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class StorageGet extends ClientCommand {
  static override summary = 'An object\'s bytes: to stdout, or into a file with -o'
  static override description = 'Streams the object (any size, flat memory). With -o the bytes go to FILE and --json prints {key, path, bytes, etag}; without -o they go to stdout (--json is refused there: stdout holds the bytes).'
  static override aliases = ['storage:cat']
  static override examples = [
    '<%= config.bin %> storage get executions/ID/read/file_reader/MESSAGE.md',
    '<%= config.bin %> storage cat executions/ID/read/file_reader/MESSAGE.md | less',
    '<%= config.bin %> storage get KEY -o page.md --json',
  ]
  static override args = {key: Args.string({description: 'Object key', required: true})}
  static override flags = {output: Flags.string({char: 'o', description: 'Write the bytes to this file'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StorageGet)
    const client = await this.client(flags)
    if (flags.json && flags.output === undefined) {
      const {UserInputError} = await import('../../src/errors/factflow-error.js')
      throw new UserInputError('FLAG_INVALID', '--json needs -o FILE (without it the object\'s bytes are the output).', {hint: 'factflow storage get KEY -o FILE --json, or factflow storage metadata KEY --json'})
    }
    const [response, {Readable}, {pipeline}, fs] = await Promise.all([
      client.object(args.key), import('node:stream'), import('node:stream/promises'), import('node:fs'),
    ])
    const body = Readable.fromWeb(response.body! as import('node:stream/web').ReadableStream<Uint8Array>)
    if (flags.output === undefined) {
      await pipeline(body, process.stdout, {end: false})
      return
    }
    let bytes = 0
    body.on('data', (chunk: Buffer) => { bytes += chunk.length })
    await pipeline(body, fs.createWriteStream(flags.output))
    const result = {key: args.key, path: flags.output, bytes, etag: response.headers.get('etag')}
    this.print(result, () => `${args.key} → ${flags.output} (${bytes} bytes)\n`)
  }
}
