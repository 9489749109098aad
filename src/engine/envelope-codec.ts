import {UserInputError} from '../errors/index.js'
import {type Envelope, envelopeTimestamp} from './envelope.js'
import {fastUuidv7} from './fast-id.js'

/** Default envelope size limit (docs/reference/engine.md): large bodies travel by storage key. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 256 * 1024

const STRING_FIELDS = ['message_id', 'correlation_id', 'execution_id', 'route_id', 'timestamp'] as const
const KNOWN_FIELDS = new Set(['message_id', 'correlation_id', 'parent_id', 'execution_id', 'route_id', 'stage', 'timestamp', 'attempt', 'payload', 'metadata'])

/**
 * The boundary check for anything read from a broker. Hand-written rather than a zod schema: it runs
 * for every message on the hot path, and zod copies the whole payload record while parsing (a fifth
 * of the engine's time at 1 KiB payloads). It checks the same strict shape.
 */
export function decodeEnvelope(body: string): Envelope {
  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch (error) {
    throw new UserInputError('ENVELOPE_INVALID', `Broker message is not JSON: ${(error as Error).message}`)
  }
  const problem = envelopeProblem(raw)
  if (problem) throw new UserInputError('ENVELOPE_INVALID', `Broker message is not a factflow envelope: ${problem}`)
  return raw as Envelope
}

function envelopeProblem(raw: unknown): string | undefined {
  if (!isRecord(raw)) return '(root) must be an object'
  for (const field of STRING_FIELDS) {
    const value = raw[field]
    if (typeof value !== 'string' || value.length === 0) return `${field} must be a non-empty string`
  }
  if (raw.parent_id !== null && (typeof raw.parent_id !== 'string' || raw.parent_id.length === 0)) return 'parent_id must be a string or null'
  if (raw.stage !== null && typeof raw.stage !== 'string') return 'stage must be a string or null'
  if (typeof raw.attempt !== 'number' || !Number.isInteger(raw.attempt) || raw.attempt < 1) return 'attempt must be an integer >= 1'
  if (!isRecord(raw.payload)) return 'payload must be an object'
  if (!isRecord(raw.metadata)) return 'metadata must be an object'
  for (const key in raw) if (!KNOWN_FIELDS.has(key)) return `unknown field ${key}`
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export interface NewEnvelope {
  executionId: string
  routeId: string
  stage: string | null
  parentId: string | null
  correlationId: string
  payload: Record<string, unknown>
  metadata: Record<string, unknown>
  messageId?: string
  attempt?: number
}

export function newEnvelope(input: NewEnvelope): Envelope {
  return {
    message_id: input.messageId ?? fastUuidv7(),
    correlation_id: input.correlationId,
    parent_id: input.parentId,
    execution_id: input.executionId,
    route_id: input.routeId,
    stage: input.stage,
    timestamp: envelopeTimestamp(),
    attempt: input.attempt ?? 1,
    payload: input.payload,
    metadata: input.metadata,
  }
}
