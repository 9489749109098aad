import type {CpuPool} from '../cpu/cpu-task.js'
import {UserInputError} from '../errors/index.js'
import type {LlmClients} from '../llm/create-chat-client.js'
import {requireModel} from '../llm/profile-checks.js'
import type {Logger} from '../logging/logger.js'
import {createEmbedder, type Embedder, type EmbedderOptions} from './embedder.js'
import {isLocalEmbeddingModel} from './local-embedder.js'

/**
 * The embedders of a runtime (`AdapterResources.embedders`), built from the LLM profiles on first
 * use and shared by every execution: one per (profile, model, dimensions), each taking the slots of
 * its profile's one AIMD limiter, so two executions embedding with one profile stay within its
 * `max_concurrency` together.
 */
export interface Embedders {
  /**
   * The embedder of the profile `profile` (`local`, `default`, or a name under `llm.providers`).
   * @throws UserInputError EMBEDDING_PROFILE_UNKNOWN, EMBEDDING_MODEL_UNKNOWN,
   *   EMBEDDING_PROVIDER_UNSUPPORTED (anthropic: chat only), EMBEDDING_DIMENSIONS_UNKNOWN,
   *   LLM_API_KEY_MISSING.
   */
  get(profile: string, options?: EmbedderOptions): Promise<Embedder>
  /**
   * An embedder for queries against a slot written with `model`: the local embedder for a local
   * model, else the first profile whose model it is (search, chat).
   */
  forModel(model: string, dimensions: number): Promise<Embedder>
}

export function createEmbedders(llm: LlmClients, options: {logger?: Logger; cpu?: CpuPool} = {}): Embedders {
  const built = new Map<string, Promise<Embedder>>()
  const cached = (key: string, build: () => Promise<Embedder>) => {
    let embedder = built.get(key)
    if (embedder === undefined) {
      embedder = build()
      built.set(key, embedder)
      // A failure (a missing key, an unknown profile) is not kept: fixed settings are read again.
      embedder.catch(() => built.delete(key))
    }
    return embedder
  }

  async function get(name: string, wanted: EmbedderOptions = {}): Promise<Embedder> {
    if (name === 'local') return cached(`local\0${wanted.model ?? ''}\0${wanted.dimensions ?? ''}`, async () => createEmbedder('local', {...wanted, cpu: options.cpu}))
    const profile = await llm.profile(name).catch((error: unknown) => {
      if ((error as {code?: unknown}).code !== 'LLM_PROFILE_UNKNOWN') throw error
      throw new UserInputError('EMBEDDING_PROFILE_UNKNOWN', `No embedding provider profile named "${name}"`, {
        hint: 'Use `local` (offline) or `default`, or declare the profile under `llm.providers` in the app settings.',
        details: {profile: name},
      })
    })
    if (profile.provider_type === 'local') return get('local', wanted)
    if (profile.provider_type === 'anthropic') {
      throw new UserInputError('EMBEDDING_PROVIDER_UNSUPPORTED', `The profile "${profile.name}" is an anthropic profile, which has no embeddings`, {
        hint: 'Point embedding_generator `provider` at an openai, azure, openai_compatible or local profile.',
        details: {profile: profile.name, provider_type: profile.provider_type},
      })
    }
    const model = requireModel(profile, wanted.model)
    const {KNOWN_EMBEDDING_DIMENSIONS, createRemoteEmbedder} = await import('./remote-embedder.js')
    const dimensions = wanted.dimensions ?? profile.dimensions ?? KNOWN_EMBEDDING_DIMENSIONS[model]
    if (dimensions === undefined) {
      throw new UserInputError('EMBEDDING_DIMENSIONS_UNKNOWN', `The vector size of the model "${model}" (profile "${profile.name}") is not known`, {
        hint: 'Set `dimensions` in the embedding_generator config or on the profile under `llm.providers`.',
        details: {profile: profile.name, model},
      })
    }
    return cached(`${profile.name}\0${model}\0${dimensions}`, async () => createRemoteEmbedder(profile, {
      model, dimensions, limiter: await llm.limiter(profile.name),
      retry: {onRetry: options.logger === undefined ? undefined : ({attempt, delayMs, errorClass}) => options.logger?.warn(
        {profile: profile.name, attempt, delay_ms: Math.round(delayMs), error_class: errorClass}, 'embedding call failed; retrying')},
    }))
  }

  return {
    get,
    async forModel(model, dimensions) {
      if (isLocalEmbeddingModel(model)) return get('local', {model, dimensions})
      const profiles = await llm.profiles().catch(() => new Map())
      for (const profile of profiles.values()) {
        if (profile.model === model && profile.provider_type !== 'anthropic' && profile.provider_type !== 'local') return get(profile.name, {model, dimensions})
      }
      throw new UserInputError('EMBEDDING_PROFILE_UNKNOWN', `No embedding provider profile has the model "${model}"`, {
        hint: `Declare a profile with \`model: ${model}\` under \`llm.providers\` in the app settings to search this slot.`,
        details: {model},
      })
    },
  }
}
