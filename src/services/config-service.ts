import type {ValidationReport} from '../config/issues.js'
import {loadPipeline, type PipelineLoadResult} from '../config/load-pipeline.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
import {redactSubstituted, type SubstitutedValues} from '../config/substituted-values.js'
import {providerOfQueueUrl} from '../config/queue-names.js'
import {UserInputError} from '../errors/index.js'
import type {ManagedExecution} from '../runtime/execution-manager.js'
import {pipelineEnvironment, type Runtime} from '../runtime/runtime.js'
import {type ConfigListFilter, type ConfigRecord, createConfigRepository} from '../configs/config-repository.js'

/** A config as the API shows it: the stored record, its report re-derived today, and whether it can run. */
export interface ConfigView extends ConfigRecord {
  validation_report: ValidationReport & Record<string, unknown>
  is_runnable: boolean
}

export interface RunConfigOptions {
  tag?: string
  skipInitMessage?: boolean
  initPayload?: Record<string, unknown>
  createdBy?: string | null
  metadata?: Record<string, unknown>
}

/**
 * Stored pipeline configs (docs/reference/server.md, "configs"), shared by the HTTP API and any other caller.
 * A config is saved even when invalid, with its validation report; only YAML that cannot be parsed
 * at all is refused (`CONFIG_YAML_UNPARSABLE`). Its `${NAME}` placeholders read only the variables
 * the runtime allows (`pipelineEnvironment`: the server's `pipelines.env`); others are E008.
 */
export function createConfigService(runtime: Runtime) {
  const repository = async () => createConfigRepository((await runtime.store()).db)

  async function check(text: string): Promise<PipelineLoadResult> {
    const profiles = [...(await runtime.llm.profiles()).keys()]
    const {env, allowed} = pipelineEnvironment(runtime.settings)
    return loadPipeline(text, {provider: providerOfQueueUrl(runtime.settings.queueUrl), registry: runtime.registry, profiles, env, allowedEnv: allowed})
  }

  async function checkParsable(text: string): Promise<ValidationReport> {
    const {report} = await check(text)
    const syntax = report.issues.find((issue) => issue.code === 'E001' || issue.code === 'E002' || issue.code === 'E004' || issue.code === 'E005')
    if (syntax) {
      throw new UserInputError('CONFIG_YAML_UNPARSABLE', `The config is not a YAML mapping: ${syntax.message}`, {
        hint: 'Fix the YAML syntax; POST /configs/validate shows every issue with its line.', details: {report},
      })
    }
    return report
  }

  async function view(record: ConfigRecord): Promise<ConfigView> {
    const {report} = await check(record.config_yaml)
    return {...record, validation_report: {...report}, is_runnable: report.is_valid}
  }

  /**
   * The config's active version as a pipeline that can run, with the values its placeholders took.
   * @throws UserInputError `CONFIG_INACTIVE`, `CONFIG_NOT_RUNNABLE` (details.report).
   */
  async function runnable(id: string): Promise<{record: ConfigRecord; pipeline: PipelineConfig; substituted: SubstitutedValues}> {
    const record = await (await repository()).get(id)
    if (!record.is_active) {
      throw new UserInputError('CONFIG_INACTIVE', `Config ${id} is deactivated.`, {hint: 'Update it (PUT /configs/{id}) to activate it again.'})
    }
    const {report, pipeline, substituted} = await check(record.config_yaml)
    if (!pipeline) {
      throw new UserInputError('CONFIG_NOT_RUNNABLE', `Config ${record.name} has ${report.error_count} validation error(s).`, {
        hint: 'Fix the errors in details.report, then run it again.', details: {report},
      })
    }
    return {record, pipeline, substituted}
  }

  return {
    validate: async (text: string) => (await check(text)).report,

    async create(input: {name: string; config_yaml: string; description?: string | null}, createdBy?: string | null): Promise<ConfigView> {
      const report = await checkParsable(input.config_yaml)
      return view(await (await repository()).create({...input, validation_report: {...report}, created_by: createdBy ?? null}))
    },

    async update(id: string, input: {config_yaml: string; description?: string | null}, createdBy?: string | null): Promise<ConfigView> {
      const report = await checkParsable(input.config_yaml)
      return view(await (await repository()).update(id, {...input, validation_report: {...report}, created_by: createdBy ?? null}))
    },

    get: async (id: string) => view(await (await repository()).get(id)),
    list: async (filter: ConfigListFilter) => (await repository()).list(filter),
    versions: async (id: string) => (await repository()).versions(id),
    deactivate: async (id: string) => (await repository()).deactivate(id),

    runnable,

    /** Starts the config's active version. @throws UserInputError `CONFIG_NOT_RUNNABLE` (details.report). */
    async run(id: string, options: RunConfigOptions = {}): Promise<ManagedExecution> {
      const {record, pipeline, substituted} = await runnable(id)
      return runtime.executions.start({
        pipeline, pipelineName: pipeline.name ?? record.name, configId: record.id, tag: options.tag, initPayload: options.initPayload,
        skipInitMessage: options.skipInitMessage, createdBy: options.createdBy, metadata: {...options.metadata, config_version: record.version},
        redact: (value) => redactSubstituted(value, substituted),
      })
    },
  }
}

export type ConfigService = ReturnType<typeof createConfigService>
