import type {EnvMap} from '../config/env-substitution.js'
import {loadPipelineObject} from '../config/load-pipeline.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
import type {SubstitutedValues} from '../config/substituted-values.js'
import {providerOfQueueUrl} from '../config/queue-names.js'
import {UserInputError} from '../errors/index.js'
import type {ExecutionRecord} from '../executions/execution-repository.js'
import {pipelineEnvironment, type Runtime} from '../runtime/runtime.js'

/**
 * The pipeline an execution was started with (its frozen snapshot), validated against today's
 * adapter registry, for whatever runs it again (resume, redrive). Its `${NAME}` placeholders are
 * substituted from `env` (default: what the runtime allows, `pipelineEnvironment`).
 * @throws UserInputError `EXECUTION_SNAPSHOT_INVALID` when the snapshot no longer validates.
 */
export async function pipelineOfExecution(runtime: Runtime, record: ExecutionRecord, env?: EnvMap): Promise<PipelineConfig> {
  return (await loadExecutionPipeline(runtime, record, env)).pipeline
}

/**
 * `pipelineOfExecution` with the values its `${NAME}` placeholders took from `env`: what a new
 * execution started from the same snapshot (a replay) must redact again before storing it.
 */
export async function loadExecutionPipeline(runtime: Runtime, record: ExecutionRecord, env?: EnvMap): Promise<{pipeline: PipelineConfig; substituted: SubstitutedValues}> {
  const allowed = pipelineEnvironment(runtime.settings)
  const {pipeline, report, substituted} = loadPipelineObject(record.config_snapshot, {
    provider: providerOfQueueUrl(runtime.settings.queueUrl), registry: runtime.registry,
    env: env ?? allowed.env, allowedEnv: allowed.allowed,
    profiles: [...(await runtime.llm.profiles()).keys()],
  })
  if (!pipeline) {
    throw new UserInputError('EXECUTION_SNAPSHOT_INVALID', `The stored pipeline of execution ${record.id} no longer validates.`, {
      hint: 'Start a new execution from a fixed config.', details: {report},
    })
  }
  return {pipeline, substituted}
}
