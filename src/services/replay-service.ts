import {v7 as uuidv7} from 'uuid'

import type {EnvMap} from '../config/env-substitution.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
import {redactSubstituted, type SubstitutedValues} from '../config/substituted-values.js'
import type {Page, PageOptions} from '../db/paging.js'
import {isUuid} from '../db/uuid.js'
import {derivedId} from '../engine/derived-id.js'
import type {InjectedMessage} from '../engine/pipeline-orchestrator.js'
import {ConflictError, describeError, UserInputError} from '../errors/index.js'
import type {ExecutionListItem, ExecutionRecord} from '../executions/execution-repository.js'
import type {ManagedExecution} from '../runtime/execution-manager.js'
import {pipelineEnvironment, type Runtime} from '../runtime/runtime.js'
import {validatePrefix} from '../storage/keys.js'
import {mapConcurrent} from '../storage/map-concurrent.js'
import type {StoredObject} from '../storage/types.js'
import {createConfigService} from './config-service.js'
import {loadExecutionPipeline} from './execution-pipeline.js'

/** A replay of an execution in the same pipeline (`POST /executions/{id}/replay`). */
export interface ReplayExecutionInput {
  /** The stage whose artefacts are replayed: an adapter's `id`, or its type when it has none. */
  fromStage: string
  /** Default: the one route that reads the outbound queue of the stage's route (parent's snapshot). */
  toRoute?: string
  /** Run the replay with this stored config's active version instead of the parent's snapshot. */
  configId?: string
  tag?: string
  createdBy?: string | null
}

/** A detached replay (`POST /replay`): one execution's stage into a route of the same or another config. */
export interface DetachedReplayInput {
  fromExecutionId: string
  fromStage: string
  /** Only the artefacts whose key, below the stage's folder, starts with this. */
  fromPath?: string
  toRoute: string
  configId?: string
  createdBy?: string | null
}

/** What a replay did: stored as the new execution's `replay_source`, and the detached endpoint's answer. */
export interface ReplaySummary {
  [key: string]: unknown
  replay_batch_id: string
  /** The new execution that consumes the replayed messages. */
  execution_id: string
  /** The replayed execution. */
  from_execution_id: string
  from_stage: string
  from_path: string | null
  /** The routes of the replayed execution whose stage folders were read. */
  from_routes: string[]
  to_route: string
  config_id: string | null
  mode: 'execution' | 'detached'
  /** Artefacts found; published onto `to_route`'s queue; that could not be published. */
  found: number
  published: number
  failed: number
}

export interface ReplayServiceOptions {
  /** Variables for the `${NAME}` placeholders of the stored snapshot, as resume uses them (default: what the runtime allows, `pipelineEnvironment`). */
  env?: EnvMap
}

/** Messages published per broker batch. */
const PUBLISH_BATCH = 500
/** Artefacts checked at once. */
const HEAD_CONCURRENCY = 16
/** Objects per storage listing page. */
const LIST_PAGE = 1000

/** Provenance kept from an artefact's stored metadata, into the replayed message's payload and metadata. */
const PROVENANCE = ['document_id', 'source_url', 'title'] as const

interface Artefact {
  object: StoredObject
  /** The message of the parent execution that wrote it (from the key), when the key follows the convention. */
  messageId: string | null
}

/**
 * Replay (docs/reference/engine.md, "Replay"): the artefacts that stage S of a finished execution stored
 * (`executions/<id>/<route>/<S>/…`) are published, one message each with `storage_key` in the
 * payload and `replay_batch_id` in the metadata, onto route R's queue of a NEW execution (parent =
 * the replayed one, `replay_source` says what was replayed) that starts every route without its
 * init message. Routes and queues are resolved from the parent's stored snapshot (placeholders
 * substituted from `env`, as resume does), or from another stored config. Each replayed message's
 * `parent_id` is the parent's message that wrote the artefact, so the lineage chain of anything the
 * replay causes walks back into the parent execution; every lineage row it causes carries the
 * batch id (metadata is inherited by every message downstream).
 *
 * Everything is checked before the new execution starts: the stage exists, the target route
 * exists, artefacts were stored, and each one can still be read; an artefact listed but gone
 * fails the replay with `REPLAY_ARTEFACTS_MISSING` and the keys.
 */
export function createReplayService(runtime: Runtime, options: ReplayServiceOptions = {}) {
  const env = options.env ?? pipelineEnvironment(runtime.settings).env
  const executions = async () => (await runtime.store()).executions

  async function finishedParent(idOrTag: string): Promise<ExecutionRecord> {
    const record = await (await executions()).resolve(idOrTag)
    if (record.status === 'running' || runtime.executions.get(record.id) !== undefined) {
      throw new ConflictError('REPLAY_SOURCE_RUNNING', `Execution ${record.id} is ${record.status}; only an ended execution can be replayed.`, {
        details: {status: record.status},
      })
    }
    return record
  }

  /** Routes of the parent's pipeline that have the stage. */
  function routesWithStage(parent: PipelineConfig, record: ExecutionRecord, stage: string): string[] {
    const routes = Object.entries(parent.routes).filter(([, route]) => route.adapters.some((a) => (a.id ?? a.type) === stage)).map(([id]) => id)
    if (routes.length === 0) {
      const stages = [...new Set(Object.values(parent.routes).flatMap((route) => route.adapters.map((a) => a.id ?? a.type)))]
      throw new UserInputError('REPLAY_STAGE_NOT_FOUND', `No route of execution ${record.id} has a stage ${JSON.stringify(stage)}.`, {
        details: {stages},
      })
    }
    return routes
  }

  /** The route of `target` that reads what the stage's routes publish, by queue name in the parent's snapshot. */
  function defaultTarget(parent: PipelineConfig, fromRoutes: readonly string[], target: PipelineConfig): string {
    const queues = new Set(fromRoutes.flatMap((id) => (parent.routes[id]!.outbound ?? []).map((out) => out.queue)))
    const readers = Object.entries(target.routes).filter(([, route]) => queues.has(route.inbound.queue)).map(([id]) => id)
    if (readers.length !== 1) {
      throw new UserInputError('REPLAY_TO_ROUTE_REQUIRED',
        `Route(s) ${fromRoutes.join(', ')} feed ${readers.length === 0 ? 'no route' : `${readers.length} routes (${readers.join(', ')})`}; name the route to replay into.`, {
          details: {from_routes: fromRoutes, candidates: readers},
        })
    }
    return readers[0]!
  }

  async function listArtefacts(prefix: string): Promise<Artefact[]> {
    validatePrefix(prefix)
    const found: Artefact[] = []
    let cursor: string | undefined
    do {
      const page = await runtime.storage.list(prefix, {limit: LIST_PAGE, cursor})
      for (const object of page.objects) found.push({object, messageId: messageIdOfKey(object.key)})
      cursor = page.next_cursor
    } while (cursor !== undefined)
    return found
  }

  /** Reads every artefact's stored metadata; any that is gone fails the replay before anything runs. */
  async function readable(artefacts: readonly Artefact[]): Promise<StoredObject[]> {
    const heads = await mapConcurrent(artefacts, HEAD_CONCURRENCY, (artefact) => runtime.storage.head(artefact.object.key))
    const missing = artefacts.filter((_, i) => heads[i] === null).map((a) => a.object.key)
    if (missing.length > 0) {
      throw new ConflictError('REPLAY_ARTEFACTS_MISSING', `${missing.length} of ${artefacts.length} artefacts to replay are no longer in storage: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}.`, {
        details: {missing_keys: missing.slice(0, 1000), missing: missing.length},
      })
    }
    return heads as StoredObject[]
  }

  async function replay(input: {
    parent: ExecutionRecord; fromStage: string; fromPath?: string; toRoute?: string; configId?: string; tag?: string
    createdBy?: string | null; mode: ReplaySummary['mode']
  }): Promise<{execution: ManagedExecution; summary: ReplaySummary}> {
    const {parent} = input
    const {pipeline: parentPipeline, substituted: parentSubstituted} = await loadExecutionPipeline(runtime, parent, env)
    const fromRoutes = routesWithStage(parentPipeline, parent, input.fromStage)
    let target: {pipeline: PipelineConfig; substituted: SubstitutedValues; name: string; configId: string | null}
    if (input.configId === undefined) {
      target = {pipeline: parentPipeline, substituted: parentSubstituted, name: parent.config_name, configId: parent.config_id}
    } else {
      const {record, pipeline, substituted} = await createConfigService(runtime).runnable(input.configId)
      target = {pipeline, substituted, name: pipeline.name ?? record.name, configId: record.id}
    }
    const toRoute = input.toRoute ?? defaultTarget(parentPipeline, fromRoutes, target.pipeline)
    if (!(toRoute in target.pipeline.routes)) {
      throw new UserInputError('REPLAY_ROUTE_NOT_FOUND', `The pipeline ${target.name} has no route ${JSON.stringify(toRoute)}.`, {
        details: {routes: Object.keys(target.pipeline.routes)},
      })
    }

    const artefacts: Artefact[] = []
    for (const route of fromRoutes) artefacts.push(...await listArtefacts(`executions/${parent.id}/${route}/${input.fromStage}/${input.fromPath ?? ''}`))
    if (artefacts.length === 0) {
      throw new UserInputError('REPLAY_NO_ARTEFACTS', `Stage ${input.fromStage} of execution ${parent.id} stored no artefacts${input.fromPath ? ` under ${input.fromPath}` : ''}.`, {
        details: {from_routes: fromRoutes},
      })
    }
    const objects = await readable(artefacts)

    const batchId = uuidv7()
    const summary: ReplaySummary = {
      replay_batch_id: batchId, execution_id: '', from_execution_id: parent.id, from_stage: input.fromStage, from_path: input.fromPath ?? null,
      from_routes: fromRoutes, to_route: toRoute, config_id: input.configId ?? null, mode: input.mode,
      found: artefacts.length, published: 0, failed: 0,
    }
    const execution = await runtime.executions.start({
      pipeline: target.pipeline, pipelineName: target.name, configId: target.configId, tag: input.tag, createdBy: input.createdBy,
      skipInitMessage: true, parentExecutionId: parent.id, replaySource: {...summary},
      metadata: {replay_batch_id: batchId}, redact: (value) => redactSubstituted(value, target.substituted),
    })
    summary.execution_id = execution.id
    const messages = objects.map((object, i) => replayedMessage(object, artefacts[i]!.messageId, execution.id, {
      replay_batch_id: batchId, replayed_from: parent.id,
    }))
    const correlationId = uuidv7()
    for (let i = 0; i < messages.length; i += PUBLISH_BATCH) {
      const batch = messages.slice(i, i + PUBLISH_BATCH)
      try {
        await execution.orchestrator.inject(toRoute, batch, {correlationId})
        summary.published += batch.length
      } catch (error) {
        summary.failed = messages.length - summary.published
        runtime.logger.warn({err: error, execution_id: execution.id}, `replay: ${summary.failed} messages could not be published: ${describeError(error)}`)
        break
      }
    }
    execution.orchestrator.endInput()
    await (await executions()).setReplaySource(execution.id, {...summary}).catch((error: unknown) => {
      runtime.logger.warn({err: error, execution_id: execution.id}, 'replay: its counts could not be stored')
    })
    return {execution, summary}
  }

  return {
    /**
     * Replays stage `fromStage` of an ended execution into a new one (same pipeline, or `configId`'s).
     * @throws NotFoundError `EXECUTION_NOT_FOUND`, `CONFIG_NOT_FOUND`.
     * @throws ConflictError `REPLAY_SOURCE_RUNNING`, `REPLAY_ARTEFACTS_MISSING`, `EXECUTION_TAG_TAKEN`.
     * @throws UserInputError `REPLAY_STAGE_NOT_FOUND`, `REPLAY_ROUTE_NOT_FOUND`, `REPLAY_TO_ROUTE_REQUIRED`, `REPLAY_NO_ARTEFACTS`, `CONFIG_NOT_RUNNABLE`.
     * @throws LimitExceededError `EXECUTION_LIMIT_REACHED`.
     */
    async replayExecution(idOrTag: string, input: ReplayExecutionInput): Promise<{execution: ManagedExecution; summary: ReplaySummary}> {
      const parent = await finishedParent(idOrTag)
      return replay({parent, fromStage: input.fromStage, toRoute: input.toRoute, configId: input.configId, tag: input.tag, createdBy: input.createdBy, mode: 'execution'})
    },

    /** The detached form: the same checks and errors; `toRoute` is required and `fromPath` narrows the artefacts. */
    async replayDetached(input: DetachedReplayInput): Promise<ReplaySummary> {
      const parent = await finishedParent(input.fromExecutionId)
      const {summary} = await replay({
        parent, fromStage: input.fromStage, fromPath: input.fromPath, toRoute: input.toRoute, configId: input.configId, createdBy: input.createdBy, mode: 'detached',
      })
      return summary
    },

    /** The replays of an execution (executions whose parent it is), newest first. @throws NotFoundError `EXECUTION_NOT_FOUND`. */
    async list(idOrTag: string, page: PageOptions): Promise<Page<ExecutionListItem>> {
      const repository = await executions()
      const record = await repository.resolve(idOrTag)
      return repository.list({...page, parent_execution_id: record.id})
    },
  }
}

export type ReplayService = ReturnType<typeof createReplayService>

/** `executions/<execution>/<route>/<stage>/<message_id>[.ext][/…]` → the message id, when it is one. */
export function messageIdOfKey(key: string): string | null {
  const part = key.split('/')[4]
  if (part === undefined) return null
  const id = part.split('.')[0]!
  return isUuid(id) ? id : null
}

/** One replayed artefact as a message: `storage_key` and what its stored metadata says of it. */
function replayedMessage(object: StoredObject, parentMessageId: string | null, executionId: string, metadata: Record<string, unknown>): InjectedMessage {
  const provenance: Record<string, unknown> = {}
  for (const field of PROVENANCE) {
    const value = object.metadata?.[field]
    if (value !== undefined) provenance[field] = value
  }
  return {
    payload: {storage_key: object.key, content_type: object.metadata?.content_type ?? object.content_type, ...provenance},
    metadata: {...provenance, ...metadata},
    parentId: parentMessageId,
    // The same artefact replayed into the same execution keeps its id (a redelivery overwrites).
    messageId: derivedId(executionId, `replay:${object.key}`),
  }
}
