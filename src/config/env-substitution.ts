/**
 * `${NAME}` and `${NAME:-default}` in string values (docs/reference/pipeline.md). `$${` is a literal `${`.
 * An unset variable without a default is reported by the caller (E006) and the placeholder is left
 * as written: it never becomes an empty string.
 */
const PLACEHOLDER = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export type EnvMap = Readonly<Record<string, string | undefined>>

export interface EnvSubstitution {
  value: string
  /** Variables that are unset and have no default, in order of appearance. */
  missing: string[]
  /** True when the whole input was exactly one placeholder (the plain-scalar typing rule uses it). */
  whole: boolean
}

export function hasPlaceholder(text: string): boolean {
  return text.includes('${')
}

export function substituteEnv(text: string, env: EnvMap): EnvSubstitution {
  if (!hasPlaceholder(text)) return {value: text, missing: [], whole: false}
  const missing: string[] = []
  let count = 0
  let wholeMatch = false
  const value = text.replace(PLACEHOLDER, (match, escape: string, name: string, fallback: string | undefined, offset: number) => {
    if (escape) return match.slice(1)
    count++
    if (offset === 0 && match.length === text.length) wholeMatch = true
    const set = env[name]
    if (set !== undefined) return set
    if (fallback !== undefined) return fallback
    missing.push(name)
    return match
  })
  return {value, missing, whole: wholeMatch && count === 1}
}

const CORE_INT = /^[-+]?[0-9]+$/
const CORE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/

/**
 * Types a substituted plain (unquoted) scalar by the YAML 1.2 core schema, so `max_urls: ${MAX:-100}`
 * gives the number 100 as `max_urls: 100` would. Quoted scalars stay strings.
 */
export function resolvePlainScalar(text: string): string | number | boolean | null {
  if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return null
  if (text === 'true' || text === 'True' || text === 'TRUE') return true
  if (text === 'false' || text === 'False' || text === 'FALSE') return false
  if (CORE_INT.test(text) || CORE_FLOAT.test(text)) {
    const number = Number(text)
    if (Number.isFinite(number)) return number
  }
  return text
}
