import type {Envelope} from '../engine/envelope.js'
import type {Page, PageOptions} from '../db/paging.js'
import {ConflictError, NotFoundError, UserInputError} from '../errors/index.js'
import type {DeadLetterRecord} from '../executions/dead-letter-repository.js'
import type {ExecutionRecord, ExecutionStatus} from '../executions/execution-repository.js'
import {scopeDestination} from '../queue/create-queue-provider.js'
import type {Runtime} from '../runtime/runtime.js'
import {pipelineOfExecution} from './execution-pipeline.js'

export interface DeadLetterListOptions extends PageOptions {
  /** Id or tag. */
  execution_id?: string
  route_id?: string
  /** Include letters already redriven (default true). */
  include_redriven?: boolean
}

export interface RedriveResult {
  execution_id: string
  /** The letters put back on their queues (now stamped `redriven_at`). */
  redriven: DeadLetterRecord[]
  /** How the messages went back: into the running execution, or by starting the ended one again. */
  mode: 'running' | 'restarted' | 'none'
}

/**
 * Dead letters for the HTTP API (docs/reference/server.md, "dlq"): list, show, and redrive, which puts a
 * letter's message back on its route's inbound queue in its execution, with the same message id
 * and a fresh attempt count. An execution running here takes the messages at once; an ended one is
 * started again under its id (its status goes back to `running`) and consumes exactly them, then
 * ends as usual. A redriven message that fails again is dead-lettered again, as a new letter: the
 * old one keeps `redriven_at`, so nothing is lost and nothing is redriven twice by accident.
 */
export function createDeadLetterService(runtime: Runtime) {
  const store = () => runtime.store()
  /** Redrives per execution, one at a time: the second waits and finds the execution running. */
  const locks = new Map<string, Promise<unknown>>()

  async function exclusive<T>(executionId: string, work: () => Promise<T>): Promise<T> {
    const before = locks.get(executionId) ?? Promise.resolve()
    const mine = before.catch(() => undefined).then(work)
    locks.set(executionId, mine)
    try {
      return await mine
    } finally {
      if (locks.get(executionId) === mine) locks.delete(executionId)
    }
  }

  async function requireLetter(id: string): Promise<DeadLetterRecord> {
    const letter = await (await store()).executions.getDeadLetter(id)
    if (!letter) throw new NotFoundError('DEAD_LETTER_NOT_FOUND', `No dead letter ${JSON.stringify(id)}.`)
    return letter
  }

  /** Claims the letters (stamps `redriven_at`), then publishes them; on failure the claims are released. */
  async function redriveLetters(record: ExecutionRecord, letters: DeadLetterRecord[]): Promise<RedriveResult> {
    return exclusive(record.id, async () => {
      const {executions} = await store()
      const pipeline = await pipelineOfExecution(runtime, record)
      for (const letter of letters) {
        if (!(letter.route_id in pipeline.routes)) {
          throw new UserInputError('DEAD_LETTER_ROUTE_GONE', `Route ${JSON.stringify(letter.route_id)} of dead letter ${letter.id} is not in the pipeline of execution ${record.id}.`)
        }
      }
      const claimed: DeadLetterRecord[] = []
      for (const letter of letters) {
        const marked = await executions.markDeadLetterRedriven(letter.id)
        if (marked) claimed.push(marked)
      }
      if (claimed.length === 0) return {execution_id: record.id, redriven: [], mode: 'none'}
      try {
        const mode = await publish(record, claimed)
        return {execution_id: record.id, redriven: claimed, mode}
      } catch (error) {
        for (const letter of claimed) await executions.unmarkDeadLetterRedriven(letter.id).catch(() => undefined)
        throw error
      }
    })
  }

  async function publish(record: ExecutionRecord, letters: DeadLetterRecord[]): Promise<'running' | 'restarted'> {
    const byRoute = new Map<string, Envelope[]>()
    for (const letter of letters) {
      byRoute.set(letter.route_id, [...byRoute.get(letter.route_id) ?? [], letter.message as unknown as Envelope])
    }
    const running = runtime.executions.get(record.id)
    if (running) {
      let taken = true
      for (const [routeId, envelopes] of byRoute) taken = taken && await running.orchestrator.requeue(routeId, envelopes)
      if (taken) return 'running'
      // It was ending: let it end and be recorded, then start it again below.
      await running.outcome
    }
    const {executions} = await store()
    const current = await executions.resolve(record.id)
    const ended: ExecutionStatus[] = ['completed', 'failed', 'cancelled', 'interrupted']
    if (!ended.includes(current.status)) {
      throw new ConflictError('EXECUTION_RUNNING', `Execution ${record.id} is ${current.status} in another process; its dead letters can be redriven once it ends.`, {
        details: {status: current.status},
      })
    }
    const pipeline = await pipelineOfExecution(runtime, current)
    // Published before the routes subscribe: the resumed execution counts them as its work.
    await runtime.queue.publishBatch(letters.map((letter) => ({
      destination: scopeDestination(pipeline.routes[letter.route_id]!.inbound.queue, record.id),
      body: JSON.stringify({...letter.message, attempt: 1}),
    })))
    await executions.updateStatus(record.id, {status: 'running', only_from: [current.status], completed_at: null})
    try {
      await runtime.executions.start({
        pipeline, pipelineName: current.config_name, configId: current.config_id, tag: current.tag ?? undefined,
        initPayload: current.metadata.init_payload as Record<string, unknown> | undefined,
        resume: {executionId: record.id, fromInit: false},
      })
    } catch (error) {
      await executions.updateStatus(record.id, {status: current.status, only_from: ['running'], completed_at: current.completed_at}).catch(() => undefined)
      // A completed execution's queues were deleted when it ended: they held only these messages.
      for (const [routeId] of current.status === 'completed' ? byRoute : []) {
        await runtime.queue.deleteQueue(scopeDestination(pipeline.routes[routeId]!.inbound.queue, record.id)).catch(() => undefined)
      }
      throw error
    }
    return 'restarted'
  }

  return {
    /** Oldest first; every execution's when `execution_id` is absent. */
    async list(options: DeadLetterListOptions): Promise<Page<DeadLetterRecord>> {
      const {executions} = await store()
      const executionId = options.execution_id === undefined ? undefined : (await executions.resolve(options.execution_id)).id
      return executions.listDeadLetters(executionId, options)
    },

    get: requireLetter,

    /** @throws ConflictError `DEAD_LETTER_ALREADY_REDRIVEN`, `EXECUTION_RUNNING` (elsewhere). */
    async redriveOne(id: string): Promise<RedriveResult> {
      const letter = await requireLetter(id)
      const alreadyRedriven = () => new ConflictError('DEAD_LETTER_ALREADY_REDRIVEN', `Dead letter ${letter.id} was redriven at ${letter.redriven_at?.toISOString()}.`, {
        details: {redriven_at: letter.redriven_at},
      })
      if (letter.redriven_at !== null) throw alreadyRedriven()
      const record = await (await store()).executions.resolve(letter.execution_id)
      const result = await redriveLetters(record, [letter])
      if (result.redriven.length === 0) throw alreadyRedriven()
      return result
    },

    /** Every letter of the execution (and route) not redriven yet; none is not an error. */
    async redriveAll(options: {execution_id: string; route_id?: string}): Promise<RedriveResult> {
      const {executions} = await store()
      const record = await executions.resolve(options.execution_id)
      const letters: DeadLetterRecord[] = []
      for (let offset = 0; ; offset += 1000) {
        const page = await executions.listDeadLetters(record.id, {route_id: options.route_id, include_redriven: false, limit: 1000, offset})
        letters.push(...page.items)
        if (!page.has_more) break
      }
      if (letters.length === 0) return {execution_id: record.id, redriven: [], mode: 'none'}
      return redriveLetters(record, letters)
    },
  }
}

export type DeadLetterService = ReturnType<typeof createDeadLetterService>
