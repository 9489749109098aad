import {UserInputError} from '../errors/index.js'

/**
 * `--set key=value` (dotted keys into the init payload; values parsed as JSON when they are JSON,
 * otherwise taken as strings) and `--init-payload JSON`, merged over the YAML payload: the JSON
 * first, then each `--set` in order.
 */
export function buildInitOverrides(sets: readonly string[], initPayloadJson?: string): Record<string, unknown> {
  let base: Record<string, unknown> = {}
  if (initPayloadJson !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(initPayloadJson)
    } catch (error) {
      throw new UserInputError('INIT_PAYLOAD_INVALID', `--init-payload is not valid JSON: ${(error as Error).message}`, {
        hint: `Pass a JSON object, e.g. --init-payload '{"sitemap_url": "https://example.com/sitemap.xml"}'.`,
      })
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UserInputError('INIT_PAYLOAD_INVALID', '--init-payload must be a JSON object.', {hint: `Wrap values in an object: '{"key": "value"}'.`})
    }
    base = parsed as Record<string, unknown>
  }
  for (const assignment of sets) {
    const eq = assignment.indexOf('=')
    const key = eq > 0 ? assignment.slice(0, eq) : ''
    if (!key || key.split('.').some((part) => part === '')) {
      throw new UserInputError('SET_INVALID', `--set "${assignment}" is not of the form key=value.`, {hint: 'Use dotted keys: --set source.url=https://example.com'})
    }
    const parts = key.split('.')
    assertSafeKeyPath(parts, `--set "${key}"`)
    setPath(base, parts, parseValue(assignment.slice(eq + 1)))
  }
  return base
}

/** Key segments that would reach an object's prototype instead of a field of it. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Refuses a dotted key path with a segment that names the prototype chain (`__proto__.polluted`
 * would change every object of the process). Whatever takes dotted keys from outside (flags, HTTP
 * bodies) checks them with this.
 * @throws UserInputError `SET_KEY_FORBIDDEN`
 */
export function assertSafeKeyPath(parts: readonly string[], shown: string): void {
  const bad = parts.find((part) => FORBIDDEN_KEYS.has(part))
  if (bad !== undefined) {
    throw new UserInputError('SET_KEY_FORBIDDEN', `${shown}: "${bad}" cannot be a key.`, {
      hint: 'Keys __proto__, constructor and prototype are refused; rename the field.',
    })
  }
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

function setPath(target: Record<string, unknown>, parts: string[], value: unknown): void {
  let current = target
  for (const part of parts.slice(0, -1)) {
    const next = current[part]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[part] = {}
    current = current[part] as Record<string, unknown>
  }
  current[parts.at(-1)!] = value
}
