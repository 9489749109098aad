import {type EnvMap, substituteEnv} from './env-substitution.js'

/**
 * The environment values a pipeline file's `${NAME}` placeholders took, by name. What is stored
 * (an execution's `config_snapshot` and `init_payload`) and what is shown (validation messages in
 * every output form) gets each value replaced back by its placeholder: a secret substituted into
 * a header never reaches the database, a log or a CI annotation.
 */
export type SubstitutedValues = ReadonlyMap<string, string>

/**
 * Values shorter than this are not redacted: they cannot be secrets worth the name, and replacing
 * "1" or "on" in every message would garble it.
 */
export const MIN_REDACTED_LENGTH = 4

/** `env`, recording every variable read from it that has a value (what substitution used). */
export function recordingEnv(env: EnvMap): {env: EnvMap; substituted: Map<string, string>} {
  const substituted = new Map<string, string>()
  const recording = new Proxy(env, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown
      if (typeof name === 'string' && typeof value === 'string' && value.length >= MIN_REDACTED_LENGTH) substituted.set(name, value)
      return value
    },
  })
  return {env: recording, substituted}
}

/** `text` with every substituted value replaced by `${NAME}` (longest values first). */
export function redactText(text: string, substituted: SubstitutedValues): string {
  if (substituted.size === 0) return text
  let out = text
  const byLength = [...substituted].sort(([, a], [, b]) => b.length - a.length)
  for (const [name, value] of byLength) if (out.includes(value)) out = out.split(value).join(`\${${name}}`)
  return out
}

/** The reverse of `redactSubstituted` for stored values that are not re-validated (an init payload): placeholders substituted from `env`. */
export function restorePlaceholders<T>(value: T, env: EnvMap): T {
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return substituteEnv(item, env).value
    if (Array.isArray(item)) return item.map(walk)
    if (item !== null && typeof item === 'object') return Object.fromEntries(Object.entries(item).map(([key, child]) => [key, walk(child)]))
    return item
  }
  return walk(value) as T
}

/**
 * A deep copy of `value` whose strings (values and keys) have every substituted value replaced by
 * its placeholder. Loading the copy again with the same environment gives back the original, which
 * is how `factflow run --resume` continues from a stored snapshot.
 */
export function redactSubstituted<T>(value: T, substituted: SubstitutedValues): T {
  if (substituted.size === 0) return value
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redactText(item, substituted)
    if (Array.isArray(item)) return item.map(walk)
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, child]) => [redactText(key, substituted), walk(child)]))
    }
    return item
  }
  return walk(value) as T
}
