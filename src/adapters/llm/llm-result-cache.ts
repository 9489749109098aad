import type {z} from 'zod'

import {profileIdentity} from '../../llm/profile-identity.js'
import {createStageResultCache, type StageResultOrigin} from '../../stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../stage-results/stage-key.js'
import type {StageResultKey} from '../../stage-results/stage-result-store.js'
import type {AdapterResources} from '../types.js'

export interface LlmResultCacheOptions<T> {
  adapterType: string
  /** Bump when the answer for the same input under the same config changes shape or meaning. */
  version: string
  schema: z.ZodType<T>
  /** The adapter's parsed config (all of it goes into the key; `provider` as the profile it resolves to). */
  config: {provider: string; model?: string}
  /** Whatever else decides the answer and is not in `config` (the system prompt the code builds). */
  extra?: Record<string, unknown>
}

export interface LlmResultLookup<T> {
  key: StageResultKey
  /** The name of the profile `config.provider` resolved to (for `llm_profile`). */
  profile: string
  /** The stored answer, when this input was answered before under this effective config. */
  stored: T | undefined
}

/**
 * Stored answers of an LLM adapter (see `createStageResultCache`). The key's config part is this
 * adapter's config plus the identity of the profile it resolves to (vendor, endpoint, effective
 * model: `profileIdentity`), so switching `default` to another model never reuses an answer, while
 * two names of one profile share them. The profile is resolved on first use, once per adapter;
 * resolving builds no client, so a run whose answers are all stored needs no API key.
 */
export function createLlmResultCache<T>(options: LlmResultCacheOptions<T>, resources: AdapterResources) {
  const cache = createStageResultCache({
    adapterType: options.adapterType, schema: options.schema,
    database: () => resources.database(), storage: resources.storage, logger: resources.logger,
    emptyAtStart: resources.newDatabase,
  })
  let identity: Promise<{configHash: string; profile: string}> | undefined
  const identify = () => {
    const {provider, ...rest} = options.config
    identity ??= resources.llm.profile(provider).then((profile) => ({
      profile: profile.name,
      // The profile's name stays out: what it resolves to is what counts.
      configHash: stageConfigHash(options.adapterType, options.version, {...rest, ...options.extra, profile: profileIdentity(profile, rest.model)}),
    }))
    // A settings error is the user's to fix; the next message tries again rather than keeping it.
    identity.catch(() => { identity = undefined })
    return identity
  }
  return {
    /** Resolves the profile (first call), hashes `input` and looks its answer up. */
    async lookup(input: string): Promise<LlmResultLookup<T>> {
      const {configHash, profile} = await identify()
      const key = {configHash, inputHash: stageInputHash(input)}
      return {key, profile, stored: await cache.get(key)}
    },
    put: (key: StageResultKey, result: T, origin: StageResultOrigin) => cache.put(key, result, origin),
    close: () => cache.close(),
  }
}
