import {createHash} from 'node:crypto'

/**
 * The id of a slot's vector for one segment: a UUID (version 8, name-based) from sha256 of
 * slot, document and segment index, so a re-run writes the same row under the same id.
 */
export function embeddingId(slot: string, documentId: string, segmentIndex: number): string {
  const hex = createHash('sha256').update(`${slot}\u0000${documentId}\u0000${segmentIndex}`).digest('hex')
  const variant = (8 | (parseInt(hex[16], 16) & 0x3)).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
