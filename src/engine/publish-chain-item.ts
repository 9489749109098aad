import {UserInputError} from '../errors/index.js'
import type {PublishItem, QueueProvider} from '../queue/types.js'
import {type ChainItem, StageFailure} from './chain-item.js'
import type {CompletionTracker} from './completion-tracker.js'
import {evaluateCondition} from './conditions.js'
import {derivedId} from './derived-id.js'
import type {Envelope} from './envelope.js'
import {newEnvelope} from './envelope-codec.js'
import type {CompiledOutbound} from './route-processor.js'

/** What publishing needs of the execution. */
export interface PublishScope {
  readonly executionId: string
  readonly queue: QueueProvider
  readonly tracker: CompletionTracker
  readonly maxEnvelopeBytes: number
}

/** Publishes one item that came out of the chain to the outbound queues whose conditions hold. */
export async function publishChainItem(
  scope: PublishScope, routeId: string, outbound: readonly CompiledOutbound[], envelope: Envelope, item: ChainItem,
): Promise<void> {
  if (outbound.length === 0) return
  const publish: PublishItem[] = []
  let expected = 0
  for (const [o, out] of outbound.entries()) {
    if (out.condition && !evaluateCondition(out.condition, item)) continue
    if (out.readers === 0) continue
    const body = JSON.stringify(newEnvelope({
      executionId: scope.executionId,
      routeId,
      stage: item.stage,
      parentId: item.rowMessageId,
      messageId: derivedId(item.messageId, `out:${o}`),
      correlationId: envelope.correlation_id,
      payload: item.payload,
      metadata: item.metadata,
    }))
    if (body.length > scope.maxEnvelopeBytes) {
      throw new StageFailure(item.stage ?? routeId, new UserInputError('ENVELOPE_TOO_LARGE',
        `A message for ${out.destination} is ${body.length} bytes, over the ${scope.maxEnvelopeBytes}-byte limit.`,
        {hint: 'Write large bodies to storage and pass `storage_key` in the payload.'}))
    }
    publish.push({destination: out.destination, body})
    expected += out.readers
  }
  if (publish.length === 0) return
  scope.tracker.add(expected)
  try {
    await scope.queue.publishBatch(publish)
  } catch (error) {
    scope.tracker.done(expected)
    throw new StageFailure('publish', error)
  }
}
