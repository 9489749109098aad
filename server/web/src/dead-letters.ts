import type {DeadLetterResource} from '../../../src/api/dead-letter-schemas.js'

/** A dead letter's error as one line: `CODE: message` (either part when the other is missing). */
export function letterError(letter: Pick<DeadLetterResource, 'error_info'>): string {
  const info = letter.error_info as {code?: unknown; message?: unknown; error_code?: unknown} | null
  if (!info) return 'no error recorded'
  const code = typeof info.code === 'string' ? info.code : (typeof info.error_code === 'string' ? info.error_code : undefined)
  const message = typeof info.message === 'string' ? info.message : undefined
  if (code && message) return `${code}: ${message}`
  return code ?? message ?? JSON.stringify(info)
}

/** The start of a dead letter's payload as JSON on one line, cut at `max` characters with an ellipsis. */
export function payloadExcerpt(letter: Pick<DeadLetterResource, 'message'>, max = 160): string {
  const message = letter.message as {payload?: unknown}
  const payload = 'payload' in message ? message.payload : message
  const text = payload === undefined ? '' : (JSON.stringify(payload) ?? String(payload))
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** The letters a "Redrive all" would put back: those not redriven yet. */
export function openLetters<T extends Pick<DeadLetterResource, 'redriven_at'>>(letters: readonly T[]): T[] {
  return letters.filter((letter) => letter.redriven_at === null)
}
