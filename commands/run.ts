import {BaseCommand} from '../src/cli/base-command.js'
import {Args, Flags} from '../src/cli/oclif.js'

export default class Run extends BaseCommand {
  static override summary = 'Validate a pipeline file, then run it inline in this process'
  static override description = `Runs every route of the pipeline in this process: an in-process broker (or --queue URL), storage under ./output/storage (or --storage URI), and lineage in an embedded database under ./output/db (or --database URL). On a terminal a live view shows each route; otherwise (or with --no-tui, --json, CI=true) progress lines go to stderr.

Exit codes: 0 completed, 3 completed with dead-lettered messages, 1 failed or cancelled, 2 invalid file or flags, 4 broker unreachable, 130 interrupted (Ctrl-C; a second Ctrl-C aborts at once).`
  static override examples = [
    '<%= config.bin %> run config/pipelines/local-folder-to-storage.yaml',
    '<%= config.bin %> run pipeline.yaml --set source.path=./docs --json',
    '<%= config.bin %> run --resume 0193a5c4-…   # continue an execution a killed run left behind',
    '<%= config.bin %> run pipeline.yaml --init-payload \'{"sitemap_url":"https://example.com/sitemap.xml"}\' --timeout 10m',
  ]
  static override args = {
    pipeline: Args.string({description: 'Pipeline YAML file (not with --resume)'}),
  }
  static override flags = {
    resume: Flags.string({description: 'Continue an interrupted execution (id or tag) from its stored pipeline, in the same database'}),
    set: Flags.string({description: 'Override an init payload field (dotted key=value; repeatable)', multiple: true, default: []}),
    'init-payload': Flags.string({description: 'JSON object merged over the init payload'}),
    tag: Flags.string({description: 'A unique tag for this execution'}),
    concurrency: Flags.integer({description: 'Cap every route\'s concurrency at N', min: 1}),
    timeout: Flags.string({description: 'Cancel the run after this long (e.g. 90s, 10m)'}),
    storage: Flags.string({description: 'Object storage URI', default: 'file://./output/storage', env: 'FACTFLOW_STORAGE_URI'}),
    database: Flags.string({description: 'Database URL or embedded PGlite directory', default: './output/db', env: 'FACTFLOW_DATABASE_URL'}),
    queue: Flags.string({description: 'Broker URL', default: 'memory://', env: 'FACTFLOW_QUEUE_URL'}),
    lineage: Flags.boolean({description: 'Record lineage rows', default: true, allowNo: true}),
    json: Flags.boolean({description: 'Print only the final summary as one JSON document'}),
    tui: Flags.boolean({description: 'Live terminal view (on a TTY)', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Run)
    if ((args.pipeline === undefined) === (flags.resume === undefined)) {
      const {UserInputError} = await import('../src/errors/index.js')
      throw new UserInputError('FLAG_INVALID', 'Give either a pipeline file or --resume EXECUTION, not both or neither.', {
        hint: 'factflow run pipeline.yaml, or factflow run --resume <execution id or tag> (the database of that run: --database).',
      })
    }
    const [{parseDuration}, {createPinoLogger}, {tuneProcessForInlineRun}, preopen] = await Promise.all([
      import('../src/cli/parse-duration.js'),
      import('../src/logging/pino-logger.js'),
      import('../src/runtime/process-tuning.js'),
      flags.resume === undefined ? import('../src/runtime/preopen-database.js') : undefined,
    ])
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout)
    // Before any WebAssembly is compiled (the embedded database's, next).
    const tuned = tuneProcessForInlineRun()
    const tui = flags.tui && !flags.json && process.stdout.isTTY === true && process.env.CI !== 'true'
    // While Ink owns the terminal, logs go to a file (STYLE.md).
    const logger = createPinoLogger(tui ? {destination: `./output/logs/run-${Date.now()}.log`} : {level: process.env.FACTFLOW_LOG_LEVEL ?? 'warn'})
    logger.debug(tuned, 'process tuned')
    // An existing embedded database opens while the engine's modules load and the pipeline is read;
    // startRun hands it to the runtime, or closes it when the run stops first.
    const preopenedDatabase = preopen?.preopenDatabase(flags.database, logger)
    const [{startRun}, {builtinAdapterRegistry}, summaryFormat, progress] = await Promise.all([
      import('../src/runtime/run-pipeline.js'),
      import('../src/adapters/registry.js'),
      import('../src/runtime/format-run-summary.js'),
      import('../src/ui/run-progress-model.js'),
    ]).catch(async (error: unknown) => {
      await preopenedDatabase?.discard()
      throw error
    })
    const handle = await startRun({
      pipelinePath: args.pipeline ?? '', resume: flags.resume, sets: flags.set, initPayload: flags['init-payload'], tag: flags.tag,
      concurrency: flags.concurrency, timeoutMs, storageUri: flags.storage, databaseUrl: flags.database,
      queueUrl: flags.queue, lineage: flags.lineage, preopenedDatabase,
    }, {logger, registry: builtinAdapterRegistry()}).catch(async (error: unknown) => {
      const {PipelineInvalidError} = await import('../src/runtime/pipeline-invalid-error.js')
      if (error instanceof PipelineInvalidError) {
        const {formatValidationSummary} = await import('../src/config/format-report.js')
        const r = error.report
        process.stderr.write(formatValidationSummary({
          files: [{file: error.file, is_valid: false, error_count: r.error_count, warning_count: r.warning_count, issues: r.issues}],
          totals: {files: 1, valid: 0, invalid: 1, errors: r.error_count, warnings: r.warning_count},
        }, 'text'))
      }
      throw error
    })

    void handle.recovered.then((ids) => {
      if (ids.length === 0) return
      process.stderr.write(`${ids.length} execution(s) left running by a run that was killed are now interrupted: ${ids.join(', ')}` +
        ' (factflow run --resume <id> continues one)\n')
    })
    const model = new progress.RunProgressModel(handle.executionId, handle.pipelineName)
    handle.on((event) => model.apply(event))
    let interrupted = false
    const onSigint = () => {
      if (interrupted) {
        process.stderr.write('\nAborted.\n')
        process.exit(130)
      }
      interrupted = true
      process.stderr.write('\nStopping gracefully (in-flight messages finish or go back to the queue); Ctrl-C again aborts.\n')
      handle.cancel('interrupted by Ctrl-C')
    }
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)

    let stopView: () => void = () => {}
    if (tui) {
      const [{render}, {createElement}, {RunView}] = await Promise.all([import('ink'), import('react'), import('../src/ui/RunView.js')])
      const snapshot = () => model.snapshot()
      const subscribe = (onChange: () => void) => model.subscribe(onChange)
      const app = render(createElement(RunView, {snapshot, subscribe}), {exitOnCtrlC: false, patchConsole: false})
      stopView = () => {
        app.rerender(createElement(RunView, {snapshot, subscribe, refreshMs: 60_000}))
        app.unmount()
      }
    } else if (!flags.json) {
      process.stderr.write(`factflow run ${handle.pipelineName}: execution ${handle.executionId}\n`)
      const timer = setInterval(() => process.stderr.write(`${progress.formatProgressLine(model.snapshot())}\n`), 2000)
      timer.unref()
      stopView = () => clearInterval(timer)
    }

    let drained = false
    const noteTimer = setInterval(() => model.setNote(progress.lineageNote(handle.lineageStats().pending, drained)), 250)
    noteTimer.unref()
    void handle.drained.then(() => {
      drained = true
      model.setNote(progress.lineageNote(handle.lineageStats().pending, drained))
    })
    void handle.summary.finally(() => clearInterval(noteTimer))
    const summary = await handle.summary
    stopView()
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
    if (flags.json) this.log(JSON.stringify(summary, null, 2))
    else this.log(summaryFormat.formatRunSummary(summary))
    const code = summaryFormat.runExitCode(summary, interrupted)
    if (code !== 0) this.exit(code)
  }
}
