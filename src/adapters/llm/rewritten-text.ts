import {createHash} from 'node:crypto'

/** Payload fields that hold a document's body: what `content_hash` describes. */
const BODY_FIELDS = new Set(['text', 'markdown'])

/**
 * `payload` with `field` set to `value`. When `field` is the body (`text`, `markdown`) and the value
 * is text, `content_hash` becomes the sha256 of the new text and the input's hash moves to
 * `source_content_hash`: downstream stages that key on `content_hash` (embedding_generator's
 * vectors, stage results) then never keep what they made of the old text.
 */
export function withFieldValue(payload: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  if (!BODY_FIELDS.has(field) || typeof value !== 'string') return {...payload, [field]: value}
  const {content_hash: sourceHash, ...rest} = payload
  return {
    ...rest, [field]: value, content_hash: createHash('sha256').update(value).digest('hex'),
    ...(typeof sourceHash === 'string' ? {source_content_hash: sourceHash} : {}),
  }
}
