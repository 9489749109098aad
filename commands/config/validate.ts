import {BaseCommand} from '../../src/cli/base-command.js'
import {Args, Flags} from '../../src/cli/oclif.js'

export default class ConfigValidate extends BaseCommand {
  static override summary = 'Validate pipeline files (offline): every issue with its position and a suggestion'
  static override description = `Checks each pipeline YAML file, or every *.yaml / *.yml below a directory, against the pipeline language: YAML syntax, keys, versions, adapter types and their config schemas, conditions, queue names for the chosen provider, and the route graph (cycles, unreachable routes). Reports every issue, not the first: errors first, then warnings, in source order.

No broker, database or network is used. Unset \${VAR} references without a default are errors (E006): the current environment is used for substitution.

Exit codes: 0 when every file is valid, 2 when any file is invalid (with --strict, warnings too) or a path does not exist.`
  static override examples = [
    '<%= config.bin %> config validate config/pipelines/',
    '<%= config.bin %> config validate pipeline.yaml --provider rabbitmq --strict',
    '<%= config.bin %> config validate pipelines/ --output github',
    '<%= config.bin %> config validate pipeline.yaml --json --llm-profiles embed,local-llm',
  ]
  static override strict = false
  static override args = {
    paths: Args.string({description: 'Pipeline files and/or directories (searched recursively)', required: true}),
  }
  static override flags = {
    output: Flags.string({char: 'o', description: 'Report format', options: ['text', 'json', 'github'], default: 'text'}),
    json: Flags.boolean({description: 'Same as --output json'}),
    provider: Flags.string({description: 'Queue provider whose naming rules apply', options: ['artemis', 'rabbitmq', 'pulsar', 'memory'], default: 'artemis'}),
    strict: Flags.boolean({description: 'Warnings make a file invalid'}),
    settings: Flags.string({description: 'App settings file whose llm.providers names are known profiles'}),
    'llm-profiles': Flags.string({description: 'Comma-separated LLM / embedding profile names that exist (besides local and default)'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ConfigValidate)
    const [{validatePipelineFiles}, {formatValidationSummary}] = await Promise.all([
      import('../../src/config/validate-files.js'),
      import('../../src/config/format-report.js'),
    ])
    const summary = await validatePipelineFiles({
      paths: argv as string[],
      provider: flags.provider,
      strict: flags.strict,
      env: process.env,
      settingsFile: flags.settings,
      profiles: flags['llm-profiles'],
    })
    const output = flags.json ? 'json' : (flags.output as 'text' | 'json' | 'github')
    process.stdout.write(formatValidationSummary(summary, output))
    if (summary.totals.invalid > 0) this.setExitCode(2)
  }
}
