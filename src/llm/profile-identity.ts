import type {LlmProfile} from './settings.js'

/**
 * What of a profile decides a model's answer, for keys of stored LLM results: the vendor, the
 * endpoint and the effective model (the adapter's `model`, else the profile's). Two profile names
 * for one model (`default` and the profile it points to) give the same identity. Keys, limits and
 * timeouts are left out: they change how an answer is obtained, not what it says.
 */
export function profileIdentity(profile: LlmProfile, model: string | undefined): Record<string, string | undefined> {
  return {
    provider_type: profile.provider_type,
    base_url: profile.base_url,
    model: model ?? profile.model,
    deployment: profile.provider_type === 'azure' ? (profile.deployment ?? model ?? profile.model) : undefined,
    api_version: profile.api_version,
  }
}
