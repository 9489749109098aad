import {parse} from 'yaml'
import {z} from 'zod'

import {UserInputError} from '../errors/index.js'

/** Profile names that exist without any settings (docs/reference/adapters.md). */
export const BUILTIN_PROFILES = ['local', 'default'] as const

// Only the part of the app settings (docs/reference/server.md, "Settings") that validation needs; the rest
// of the file is the server's business, so unknown keys are let through here.
const settingsProfilesSchema = z.looseObject({
  llm: z.looseObject({
    providers: z.array(z.looseObject({name: z.string().min(1)})).default([]),
  }).optional(),
}).nullable()

/**
 * The LLM / embedding profile names declared in an app settings file (`llm.providers[].name`).
 * Throws `UserInputError` (SETTINGS_INVALID) when the text is not YAML or the section is malformed.
 */
export function readLlmProfileNames(text: string, source: string): string[] {
  let document: unknown
  try {
    document = parse(text, {maxAliasCount: 100})
  } catch (error) {
    throw new UserInputError('SETTINGS_INVALID', `The settings file ${source} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, {
      hint: 'Fix the YAML, or leave --settings out and name profiles with --llm-profiles a,b.',
    })
  }
  const parsed = settingsProfilesSchema.safeParse(document)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new UserInputError('SETTINGS_INVALID', `The settings file ${source} has an invalid llm section at ${issue.path.join('.') || 'the root'}: ${issue.message}`, {
      hint: 'Expected `llm: { providers: [ { name: …, provider_type: … } ] }` (docs/reference/server.md, "Settings").',
    })
  }
  return parsed.data?.llm?.providers.map((provider) => provider.name) ?? []
}

/** `--llm-profiles a,b` → `['a', 'b']`. */
export function parseProfileList(list: string | undefined): string[] {
  return (list ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0)
}
