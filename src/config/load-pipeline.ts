import {builtinAdapterRegistry, type AdapterRegistry} from '../adapters/registry.js'
import {UserInputError} from '../errors/index.js'
import type {EnvMap} from './env-substitution.js'
import {IssueCollector, SourceIndex, type ValidationReport} from './issues.js'
import type {PipelineConfig} from './pipeline-schema.js'
import {DEFAULT_QUEUE_PROVIDER, isQueueProvider, QUEUE_PROVIDERS, type QueueProviderName} from './queue-names.js'
import {BUILTIN_PROFILES} from './settings.js'
import {recordingEnv, redactText, type SubstitutedValues} from './substituted-values.js'
import type {CheckContext} from './validate/context.js'
import {checkGraph} from './validate/graph.js'
import {readObjectSource} from './validate/object-source.js'
import {checkQueues} from './validate/queues.js'
import {checkStructure} from './validate/structure.js'
import {buildTypedPipeline} from './validate/typed.js'
import {readYamlSource} from './validate/yaml-source.js'

export type {ValidationIssue, ValidationReport} from './issues.js'

/** What a pipeline is checked against. Every field is optional. */
export interface ValidationOptions {
  /** Queue provider whose naming rules apply (default `artemis`); an unknown name throws `UserInputError`. */
  provider?: QueueProviderName | (string & {})
  /** Warnings make `is_valid` false. */
  strict?: boolean
  /** Variables for `${VAR}` substitution. Default: `process.env` (pass `{}` for a fully pure check). */
  env?: EnvMap
  /**
   * Only these names of `env` may be substituted (the server's `pipelines.env`): a placeholder
   * naming another is E008 unless it has a default, which is then used. Default: every name.
   */
  allowedEnv?: ReadonlySet<string>
  /** LLM / embedding profile names that exist besides `local` and `default` (from the app settings). */
  profiles?: readonly string[]
  /** Adapter types that exist (default: the built-in registry). */
  registry?: AdapterRegistry
  /** The file the text came from: gives the pipeline its default `name`. */
  fileName?: string
}

/** A report, and the typed pipeline when there is no error (warnings allowed, even under strict). */
export interface PipelineLoadResult {
  report: ValidationReport
  pipeline?: PipelineConfig
  /**
   * The environment values the file's placeholders took (see `substituted-values.ts`): what a
   * caller must redact from anything it stores or shows. The report is already redacted.
   */
  substituted: SubstitutedValues
}

/**
 * Validates pipeline YAML text and, when it has no error, returns the typed `PipelineConfig`: zod
 * defaults applied, `${VAR}` substituted, each adapter config parsed by its schema. Pure and
 * offline; never throws on any text; every issue has a line and column. This is what
 * `factflow run`, the server and `config validate` call.
 */
export function loadPipeline(text: string, options: ValidationOptions = {}): PipelineLoadResult {
  return load(options, true, (env, issues) => readYamlSource(String(text), env, issues, options.allowedEnv))
}

/** Like `loadPipeline` for an already-parsed document (an HTTP body); issues have no positions. */
export function loadPipelineObject(input: unknown, options: ValidationOptions = {}): PipelineLoadResult {
  return load(options, false, (env, issues) => readObjectSource(input, env, issues, options.allowedEnv))
}

/** The report of `loadPipeline` alone. */
export function validatePipelineText(text: string, options: ValidationOptions = {}): ValidationReport {
  return loadPipeline(text, options).report
}

/** The report of `loadPipelineObject` alone. */
export function validatePipelineObject(input: unknown, options: ValidationOptions = {}): ValidationReport {
  return loadPipelineObject(input, options).report
}

function load(
  options: ValidationOptions,
  withPositions: boolean,
  read: (env: EnvMap, issues: IssueCollector) => Record<string, unknown> | undefined,
): PipelineLoadResult {
  const provider = options.provider ?? DEFAULT_QUEUE_PROVIDER
  if (!isQueueProvider(provider)) {
    throw new UserInputError('PROVIDER_UNKNOWN', `Unknown queue provider "${provider}".`, {hint: `Use one of ${QUEUE_PROVIDERS.join(', ')}.`})
  }
  const issues = new IssueCollector(new SourceIndex())
  const ctx: CheckContext = {
    issues,
    registry: options.registry ?? builtinAdapterRegistry(),
    provider,
    profiles: new Set([...BUILTIN_PROFILES, ...(options.profiles ?? [])]),
    parsedConfigs: new WeakMap(),
  }
  let pipeline: PipelineConfig | undefined
  const {env, substituted} = recordingEnv(allowedPart(options.env ?? process.env, options.allowedEnv))
  try {
    const root = read(env, issues)
    if (root) {
      checkStructure(root, ctx)
      checkGraph(root, checkQueues(root, ctx), ctx)
      if (!issues.hasErrors()) pipeline = buildTypedPipeline(root, ctx, options.fileName)
    }
  } catch (error) {
    // A stack overflow is the one failure hostile input can still cause; it is an input limit.
    if (!(error instanceof RangeError)) throw error
    issues.add('E004', [], 'the document is too deeply nested or too large to check', {position: {line: 1, column: 1}})
    pipeline = undefined
  }
  const report = issues.report(options.strict ?? false, withPositions)
  // Messages quote values (`"sk-…" is not a number`): they show the placeholder instead.
  for (const issue of report.issues) {
    issue.message = redactText(issue.message, substituted)
    if (issue.suggestion !== null) issue.suggestion = redactText(issue.suggestion, substituted)
  }
  return report.error_count === 0 && pipeline ? {report, pipeline, substituted} : {report, substituted}
}

/** The variables of `env` that `allowed` lists (all of them without a list). */
function allowedPart(env: EnvMap, allowed: ReadonlySet<string> | undefined): EnvMap {
  if (allowed === undefined) return env
  return Object.fromEntries([...allowed].filter((name) => env[name] !== undefined).map((name) => [name, env[name]]))
}
