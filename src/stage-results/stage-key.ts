import {createHash} from 'node:crypto'

/**
 * JSON with object keys sorted at every level, so two equal configs hash alike whatever order
 * their keys were written in. `undefined` members are left out, as `JSON.stringify` does.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(member).sort()) sorted[key] = (member as Record<string, unknown>)[key]
    return sorted
  })
}

/**
 * The `config_hash` of a stage: sha256 of its adapter type, a result `version` (bumped when the
 * stage's output for the same input changes: algorithm, prompt protocol, result shape) and its
 * effective config, i.e. everything besides the input that decides the output. Anything left out
 * here would let a changed config reuse an old result.
 */
export function stageConfigHash(adapterType: string, version: string, effectiveConfig: unknown): string {
  return createHash('sha256').update(stableJson({adapter: adapterType, version, config: effectiveConfig})).digest('hex')
}

/**
 * The `input_hash` of a stage: sha256 (hex) of its input. One part is hashed as it is, so a
 * document's input hash equals its `content_hash` (and lineage's `stage_input_hash`); several parts
 * are length-prefixed so that they cannot run into each other.
 */
export function stageInputHash(...parts: readonly string[]): string {
  const hash = createHash('sha256')
  if (parts.length === 1) return hash.update(parts[0]!).digest('hex')
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part)
  return hash.digest('hex')
}
