import type {LlmConcurrencyLimiter} from '../llm/aimd-limiter.js'
import {classifyLlmError, fromSdkError, llmBadResponse} from '../llm/llm-errors.js'
import {openAiSdkClient} from '../llm/openai-chat-client.js'
import {type LlmRetryOptions, withLlmRetry} from '../llm/retry.js'
import type {LlmProfile} from '../llm/settings.js'
import type {Embedder} from './embedder.js'

/** Vector sizes of the models a user names without `dimensions`. */
export const KNOWN_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
}

export interface RemoteEmbedderOptions {
  model: string
  dimensions: number
  /** The profile's limiter, shared with its chat client and every execution. */
  limiter: LlmConcurrencyLimiter
  retry?: LlmRetryOptions
}

/**
 * An embedder on the `openai` SDK's embeddings endpoint (`openai`, `azure`, `openai_compatible`
 * profiles: OpenAI, Azure, Ollama, vLLM, LM Studio, …). Every attempt takes a slot of the profile's
 * AIMD limiter and failures are retried as chat calls are (`withLlmRetry`). `dimensions` is sent
 * only for the `text-embedding-3` models, which can shorten their vectors; other servers ignore or
 * refuse it. The answer is checked by the writer (count and size of vectors).
 */
export async function createRemoteEmbedder(profile: LlmProfile, options: RemoteEmbedderOptions): Promise<Embedder> {
  const {sdk, client} = await openAiSdkClient(profile)
  const {model, dimensions, limiter} = options
  const sendDimensions = model.startsWith('text-embedding-3')
  return {
    model,
    dimensions,
    embed(texts, signal) {
      return withLlmRetry(async () => {
        const release = await limiter.acquire(signal)
        try {
          const response = await client.embeddings.create(
            {model, input: texts, encoding_format: 'float', ...(sendDimensions ? {dimensions} : {})}, {signal},
          ).catch((error: unknown) => { throw fromSdkError(sdk, profile.name, error, signal) })
          const data = [...(response.data ?? [])].sort((a, b) => a.index - b.index)
          if (data.some((item) => !Array.isArray(item.embedding))) {
            throw llmBadResponse(profile.name, new Error('an item of data[] has no embedding array'))
          }
          release('success')
          return data.map((item) => Float32Array.from(item.embedding))
        } catch (error) {
          release(classifyLlmError(error) === 'rate_limited' ? 'rate_limited' : 'other')
          throw error
        }
      }, options.retry ?? {}, signal)
    },
  }
}
