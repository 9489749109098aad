import type {EnvMap} from '../config/env-substitution.js'
import {loadPipelineObject} from '../config/load-pipeline.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
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
  const allowedEnvironment = pipelineEnvironment(runtime.settings)
  const {pipeline, report} = loadPipelineObject(record.config_snapshot, {
    provider: providerOfQueueUrl(runtime.settings.queueUrl), registry: runtime.registry,
    env: env ?? allowedEnvironment.env, allowedEnv: allowedEnvironment.allowed,
    profiles: [...(await runtime.llm.profiles()).keys()],
  })
  if (!pipeline) {
    throw new UserInputError('EXECUTION_SNAPSHOT_INVALID', `The stored pipeline of execution ${record.id} no longer validates.`, {
      hint: 'Start a new execution from a fixed config.', details: {report},
    })
  }
  return pipeline
}
