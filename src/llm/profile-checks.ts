import {UserInputError} from '../errors/index.js'
import type {LlmProfile} from './settings.js'

/** The profile's key; `UserInputError` LLM_API_KEY_MISSING (naming the unset variable) otherwise. */
export function requireApiKey(profile: LlmProfile): string {
  if (profile.api_key !== undefined) return profile.api_key
  const unset = profile.unresolvedEnv?.length ? ` (${profile.unresolvedEnv.map((name) => `$${name}`).join(', ')} is not set)` : ''
  throw new UserInputError('LLM_API_KEY_MISSING', `LLM profile "${profile.name}" (${profile.provider_type}) has no api_key${unset}.`, {
    hint: 'Set the variable its api_key names (e.g. OPENAI_API_KEY), or use the offline `local` profile.',
  })
}

/** The request's model, else the profile's; `UserInputError` LLM_MODEL_MISSING when neither says. */
export function requireModel(profile: LlmProfile, model: string | undefined): string {
  const chosen = model ?? profile.model
  if (chosen !== undefined) return chosen
  throw new UserInputError('LLM_MODEL_MISSING', `LLM profile "${profile.name}" has no model and the adapter names none.`, {
    hint: 'Set `model` on the profile (llm.providers) or in the adapter config.',
  })
}
