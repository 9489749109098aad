import {ClientCommand} from '../../src/cli/client-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class StorageDownload extends ClientCommand {
  static override summary = 'Download every artefact of an execution into a folder (resumable)'
  static override description = `Files go to DIR/<route>/<stage>/<file>, with a progress bar on a terminal. Re-running skips every file already there with the ETag the server has (asked with If-None-Match; the ETags are kept in DIR/.factflow-download.json), so an interrupted download resumes where it stopped.`
  static override examples = ['<%= config.bin %> storage download first --output-dir ./first', '<%= config.bin %> storage download ID --output-dir out --json']
  static override args = {id: Args.string({description: 'Execution id or tag', required: true})}
  static override flags = {
    'output-dir': Flags.string({description: 'Folder to write into (created if missing)', required: true}),
    concurrency: Flags.integer({description: 'Parallel downloads (default 4)', min: 1, max: 32}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StorageDownload)
    const client = await this.client(flags)
    const [{downloadExecutionObjects}, {createProgressBar}, {formatBytes}] = await Promise.all([
      import('../../src/client/download-objects.js'), import('../../src/cli/progress-bar.js'), import('../../src/client/storage-format.js'),
    ])
    const bar = createProgressBar()
    let result
    try {
      result = await downloadExecutionObjects(client, args.id, {
        outputDir: flags['output-dir'], concurrency: flags.concurrency,
        onProgress: (done, total, bytes) => bar.update(done, total, formatBytes(bytes)),
      })
    } finally {
      bar.done()
    }
    const summary = result
    this.print(summary, () => `${summary.objects} objects of ${summary.execution_id} in ${summary.output_dir}: ${summary.downloaded} downloaded (${formatBytes(summary.bytes)}), ${summary.skipped} already there\n`)
  }
}
