import type {AdapterOutput} from '../adapters/types.js'
import {derivedId} from './derived-id.js'
import type {PayloadHash} from './payload-hash.js'

/** One message (or fan-out element) on its way through a route's chain. */
export interface ChainItem {
  payload: Record<string, unknown>
  metadata: Record<string, unknown>
  messageId: string
  parentId: string | null
  stage: string | null
  /** The message id of the last lineage row on this item's path: what a published child's parent is. */
  rowMessageId: string
  /** `payloadDigest(payload)` when already known (hashed from the delivered body). */
  payloadHash?: PayloadHash
}

/** What the stages of one message's chain (all its fan-out elements included) reported. */
export interface ChainReport {
  /** Some stage reused stored work (`markSkipped('unchanged')`). */
  unchanged: boolean
}

/** The stage an error came from, so retries and the DLQ can name it. */
export class StageFailure extends Error {
  constructor(readonly stage: string, readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error))
  }
}

/** The one output of a stage: the same message, one step further. */
export function singleItem(stage: string, input: ChainItem, out: AdapterOutput): ChainItem {
  return {
    payload: out.payload,
    metadata: out.metadata ? {...input.metadata, ...out.metadata} : input.metadata,
    messageId: input.messageId, parentId: input.parentId, stage, rowMessageId: input.messageId,
  }
}

/**
 * Element `i` of a fan-out: a child message whose id is derived from its parent's and its place, so
 * a redelivered parent re-emits the same ids.
 */
export function elementItem(stage: string, input: ChainItem, out: AdapterOutput, i: number): ChainItem {
  return {
    payload: out.payload,
    metadata: out.metadata ? {...input.metadata, ...out.metadata} : input.metadata,
    messageId: derivedId(input.messageId, `${stage}:${i}`), parentId: input.messageId, stage,
    rowMessageId: input.messageId,
  }
}
