import {UserInputError} from '../errors/index.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** `500ms`, `30s`, `5m`, `1h`, `1h30m`, or a bare number of seconds → milliseconds. */
export function parseDuration(input: string, flag = '--timeout'): number {
  const text = input.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UserInputError('DURATION_INVALID', `${flag} "${input}" is not a duration.`, {hint: 'Use e.g. 90s, 5m, 1h30m, or a number of seconds.'})
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0))
}
