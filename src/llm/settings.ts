import {z} from 'zod'

import {UserInputError} from '../errors/index.js'

/** Provider types of docs/reference/adapters.md, "LLM and embedding providers". */
export const PROVIDER_TYPES = ['openai', 'azure', 'anthropic', 'openai_compatible', 'local'] as const
export type ProviderType = (typeof PROVIDER_TYPES)[number]

/** One entry of `llm.providers` in the app settings, after `${ENV}` substitution. */
export const llmProfileSchema = z.strictObject({
  name: z.string().min(1),
  provider_type: z.enum(PROVIDER_TYPES),
  model: z.string().min(1).optional().describe('Default model; an adapter\'s `model` overrides it'),
  api_key: z.string().min(1).optional().describe('Usually `${OPENAI_API_KEY}`; defaults to the provider\'s usual env variable'),
  base_url: z.url().optional().describe('API root: required for openai_compatible; Azure endpoint for azure'),
  api_version: z.string().min(1).optional().describe('Azure API version (e.g. 2024-10-21)'),
  deployment: z.string().min(1).optional().describe('Azure deployment name (default: the model)'),
  max_concurrency: z.int().min(1).max(10_000).default(50).describe('Ceiling and start of the adaptive concurrency limit'),
  timeout: z.number().positive().max(3600).default(120).describe('Per-request timeout in seconds'),
  /** Embedding dimensions, read by the embedding side. */
  dimensions: z.int().min(1).max(16_000).optional(),
})

export type LlmProfile = z.output<typeof llmProfileSchema> & {
  /** `${VAR}` placeholders of `api_key` whose variable was unset (named in the error when the profile is used). */
  readonly unresolvedEnv?: readonly string[]
}

/** Profiles by name; `local` and `default` are always present. */
export type LlmProfiles = ReadonlyMap<string, LlmProfile>

/** The built-in offline profile (docs/reference/adapters.md). */
export const LOCAL_PROFILE: LlmProfile = llmProfileSchema.parse({name: 'local', provider_type: 'local', model: 'local-extractive'})

const settingsSchema = z.looseObject({
  llm: z.looseObject({providers: z.array(z.unknown()).default([])}).nullish(),
}).nullish()

/** The env variable a provider's key is read from when `api_key` is not set. */
const KEY_ENV: Record<ProviderType, string | undefined> = {
  openai: 'OPENAI_API_KEY',
  azure: 'AZURE_OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  openai_compatible: undefined,
  local: undefined,
}

/**
 * The LLM profiles of a parsed app settings document (`llm.providers`, docs/reference/server.md "Settings").
 * String values get `${VAR}` / `${VAR:-fallback}` substitution from `env`; an unset variable leaves
 * the field empty (absent), so a profile whose key is missing only fails when it is used. A missing
 * `api_key` defaults to the provider's usual variable (OPENAI_API_KEY, AZURE_OPENAI_API_KEY,
 * ANTHROPIC_API_KEY). `local` is always the built-in offline profile unless the settings redefine
 * it; `default` is a profile named so, else the first profile, else `local`.
 * Throws `UserInputError` SETTINGS_INVALID naming the bad entry.
 */
export function resolveProfiles(settings: unknown, env: NodeJS.ProcessEnv = process.env, source = 'the settings'): LlmProfiles {
  const parsed = settingsSchema.safeParse(settings)
  if (!parsed.success) throw invalid(source, 'llm', parsed.error.issues[0]!.message)
  const profiles = new Map<string, LlmProfile>()
  const declared: LlmProfile[] = []
  for (const [index, raw] of (parsed.data?.llm?.providers ?? []).entries()) {
    const missing: string[] = []
    const substituted = substituteEnv(raw, env, missing)
    const result = llmProfileSchema.safeParse(substituted)
    if (!result.success) {
      const issue = result.error.issues[0]!
      throw invalid(source, ['llm', 'providers', index, ...issue.path].join('.'), issue.message)
    }
    const profile: LlmProfile = {...result.data}
    const keyEnv = KEY_ENV[profile.provider_type]
    // Only a profile that names no key falls back to the usual variable; an unset `${MY_KEY}` stays an error.
    const namesKey = typeof raw === 'object' && raw !== null && 'api_key' in raw
    if (!namesKey && keyEnv !== undefined && env[keyEnv]) profile.api_key = env[keyEnv]
    if (profile.provider_type === 'openai_compatible' && profile.base_url === undefined) {
      throw invalid(source, `llm.providers.${index}.base_url`, 'openai_compatible needs base_url (e.g. http://localhost:11434/v1)')
    }
    if (profiles.has(profile.name)) throw invalid(source, `llm.providers.${index}.name`, `duplicate profile name "${profile.name}"`)
    profiles.set(profile.name, missing.length > 0 ? {...profile, unresolvedEnv: missing} : profile)
    declared.push(profile)
  }
  if (!profiles.has('local')) profiles.set('local', LOCAL_PROFILE)
  if (!profiles.has('default')) profiles.set('default', declared[0] ?? LOCAL_PROFILE)
  return profiles
}

/** The named profile; `UserInputError` LLM_PROFILE_UNKNOWN listing the known ones otherwise. */
export function profileNamed(profiles: LlmProfiles, name: string): LlmProfile {
  const profile = profiles.get(name)
  if (profile !== undefined) return profile
  throw new UserInputError('LLM_PROFILE_UNKNOWN', `No LLM profile named "${name}" (known: ${[...profiles.keys()].join(', ')}).`, {
    hint: 'Declare it under llm.providers in factflow.yaml (or the file FACTFLOW_SETTINGS names), or use `local`/`default`.',
  })
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** `${VAR}` and `${VAR:-fallback}` in every string of `value`; names of unset variables go to `missing`. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, missing: string[] = []): unknown {
  if (typeof value === 'string') {
    const out = value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      const found = env[name]
      if (found !== undefined && found !== '') return found
      if (fallback !== undefined) return fallback
      missing.push(name)
      return ''
    })
    // An entirely unset placeholder means "absent", so defaults and the optional-field checks apply.
    return out === '' && value !== '' ? undefined : out
  }
  if (Array.isArray(value)) return value.map((item) => substituteEnv(item, env, missing))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, missing)]))
  }
  return value
}

function invalid(source: string, at: string, message: string): UserInputError {
  return new UserInputError('SETTINGS_INVALID', `${source} has an invalid LLM profile at ${at}: ${message}`, {
    hint: 'See docs/reference/server.md "Settings": llm.providers[] = {name, provider_type, model, api_key, base_url, …}.',
  })
}
