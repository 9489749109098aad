import type {CpuPool} from '../cpu/cpu-task.js'
import {UserInputError} from '../errors/index.js'
import {createLocalEmbedder, isLocalEmbeddingModel, LOCAL_EMBEDDING_MODELS} from './local-embedder.js'

/**
 * Turns texts into vectors. One implementation per provider kind (the built-in `local` feature
 * hasher now; OpenAI-compatible HTTP embedders later), all behind this interface.
 */
export interface Embedder {
  /** Model name recorded with every vector (an embedding slot holds one model). */
  readonly model: string
  /** Length of every vector `embed` returns. */
  readonly dimensions: number
  /**
   * One vector per text, in order. Rejects with the signal's reason when aborted; remote
   * providers reject with a `FactflowError` whose `retryable` says whether to try again.
   */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>
}

export interface EmbedderOptions {
  /** Model name (default: the profile's). */
  model?: string
  /** Vector dimensions (default: the model's; the local embedder's is 768, its older v1 model's 384). */
  dimensions?: number
  /** The CPU pool the local embedder hands large batches to (see `LocalEmbedderOptions.cpu`). */
  cpu?: CpuPool
}

/**
 * Builds the embedder of one named profile from the app settings. Returns undefined for a name it
 * does not know. This is the seam for remote providers: the composition root passes one that reads
 * `llm.providers` (openai, azure, openai_compatible) and builds their embedders.
 */
export type EmbedderProfileResolver = (profile: string, options: EmbedderOptions) => Embedder | undefined

/**
 * The embedder of `profile`: `local` is the built-in offline feature hasher; `default` is what
 * `resolve` says for `default`, else `local` (no settings); any other name goes to `resolve`.
 * @throws UserInputError `EMBEDDING_PROFILE_UNKNOWN` when no resolver knows the profile.
 * @throws UserInputError `EMBEDDING_MODEL_UNKNOWN` when `local` is asked for another model.
 */
export function createEmbedder(profile: string, options: EmbedderOptions = {}, resolve?: EmbedderProfileResolver): Embedder {
  if (profile !== 'local') {
    const resolved = resolve?.(profile, options)
    if (resolved !== undefined) return resolved
    if (profile !== 'default') {
      throw new UserInputError('EMBEDDING_PROFILE_UNKNOWN', `No embedding provider profile named "${profile}"`, {
        hint: 'Use `local` (offline) or `default`, or declare the profile under `llm.providers` in the app settings.',
        details: {profile},
      })
    }
  }
  if (options.model !== undefined && !isLocalEmbeddingModel(options.model)) {
    throw new UserInputError('EMBEDDING_MODEL_UNKNOWN', `The local embedding provider has no model "${options.model}"`, {
      hint: `Leave \`model\` out or set it to one of ${Object.keys(LOCAL_EMBEDDING_MODELS).join(', ')}.`,
      details: {profile, model: options.model},
    })
  }
  return createLocalEmbedder({model: options.model, dimensions: options.dimensions, cpu: options.cpu})
}
