import type {Envelope} from './envelope.js'
import {xxh64, type Xxh64Digest} from './xxh64.js'

/** A `stage_input_hash`: a document's `content_hash`, or an xxh64 the lineage encoder spells out itself. */
export type PayloadHash = string | Xxh64Digest

/**
 * `stage_input_hash` of a payload (docs/reference/engine.md, "Lineage"): the document's own `content_hash`
 * when the payload carries one (what change detection keys on), otherwise `xxh64:` and the xxh64
 * of its JSON in hex. A 64-bit hash labels inputs for change detection and dedup, where a collision
 * (about 1 in 10^7 among a million distinct payloads) costs a lineage query a false match, not data.
 * `json` is the payload's JSON when the caller already has it.
 */
export function payloadHash(payload: Record<string, unknown>, json?: string): string {
  return String(payloadDigest(payload, json))
}

/**
 * `payloadHash` for the engine's hot path: an xxh64 stays a digest (two numbers) that the lineage
 * encoder writes out, xxh64 in WebAssembly being ~0.25 µs for a 1 KiB payload (native sha1: 1.8 µs)
 * and this running once per adapter invocation.
 */
export function payloadDigest(payload: Record<string, unknown>, json?: string): PayloadHash {
  const contentHash = payload.content_hash
  if (typeof contentHash === 'string' && contentHash.length > 0) return contentHash
  return xxh64(json ?? JSON.stringify(payload))
}

const PAYLOAD_KEY = ',"payload":'
const METADATA_KEY = ',"metadata":'
const EMPTY_METADATA_TAIL = `${METADATA_KEY}{}}`

/**
 * `payloadDigest` of a decoded envelope's payload, hashing the payload's JSON where it lies in the
 * body instead of serialising it again (that second `JSON.stringify` was a fifth of the engine's
 * time with lineage on). The slice is used only when the body has the layout `JSON.stringify` of
 * an envelope gives: it starts with `{"message_id":`, its first `,"payload":` follows the
 * primitive header fields (a quote inside a string value is escaped, so that key cannot occur
 * earlier), and it ends with `,"metadata":` + the metadata's own JSON + `}`. Any other layout
 * (other key order, whitespace between fields) falls back to serialising the payload. The hash is
 * of the payload's JSON as its publisher wrote it: the same as re-serialising it for every factflow
 * publisher, and for another producer's compact JSON possibly not (`1.0` stays `1.0`).
 */
export function payloadHashFromBody(body: string, envelope: Envelope): PayloadHash {
  const contentHash = envelope.payload.content_hash
  if (typeof contentHash === 'string' && contentHash.length > 0) return contentHash
  if (body.startsWith('{"message_id":')) {
    const key = body.indexOf(PAYLOAD_KEY)
    const tail = isEmpty(envelope.metadata) ? EMPTY_METADATA_TAIL : `${METADATA_KEY}${JSON.stringify(envelope.metadata)}}`
    const start = key + PAYLOAD_KEY.length
    const end = body.length - tail.length
    if (key > 0 && end > start && body.endsWith(tail)) return payloadDigest(envelope.payload, body.slice(start, end))
  }
  return payloadDigest(envelope.payload)
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _key in record) return false
  return true
}
