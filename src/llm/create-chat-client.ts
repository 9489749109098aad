import type {Logger} from '../logging/logger.js'
import {LlmConcurrencyLimiter, type LimiterOutcome} from './aimd-limiter.js'
import {createAnthropicChatClient} from './anthropic-chat-client.js'
import type {ChatClient, ChatCompletion, ChatRequest} from './chat-client.js'
import {classifyLlmError} from './llm-errors.js'
import {loadLlmProfiles, type LoadLlmProfilesOptions} from './load-settings.js'
import {createLocalChatClient} from './local-chat-client.js'
import {createOpenAiChatClient} from './openai-chat-client.js'
import {retryDelay, type LlmRetryOptions, sleep, withLlmRetry} from './retry.js'
import {type LlmProfile, type LlmProfiles, profileNamed} from './settings.js'

export interface CreateChatClientOptions {
  retry?: LlmRetryOptions
  /** Share a limiter (e.g. one per profile per execution); default: a new one from `max_concurrency`. */
  limiter?: LlmConcurrencyLimiter
}

/** A client whose limiter can be observed (health, tests). */
export interface ResilientChatClient extends ChatClient {
  readonly limiter: LlmConcurrencyLimiter
}

/** The vendor client of a profile, without limiter or retries. */
export async function createBareChatClient(profile: LlmProfile): Promise<ChatClient> {
  switch (profile.provider_type) {
    case 'local': return createLocalChatClient(profile)
    case 'anthropic': return createAnthropicChatClient(profile)
    default: return createOpenAiChatClient(profile)
  }
}

/**
 * The client for `profile`: every attempt takes a slot of the profile's AIMD limiter, and failed
 * calls are retried per `withLlmRetry` (7 attempts, jittered exponential backoff, Retry-After).
 * A stream is retried only until its first delta arrives; after that an error ends it.
 * Throws `UserInputError` LLM_API_KEY_MISSING when the profile needs a key it lacks.
 */
export async function createChatClient(profile: LlmProfile, options: CreateChatClientOptions = {}): Promise<ResilientChatClient> {
  const inner = await createBareChatClient(profile)
  const limiter = options.limiter ?? new LlmConcurrencyLimiter({max: profile.max_concurrency})
  const retry = options.retry ?? {}

  return {
    profile,
    limiter,
    complete(request: ChatRequest): Promise<ChatCompletion> {
      return withLlmRetry(async () => {
        const release = await limiter.acquire(request.signal)
        try {
          const result = await inner.complete(request)
          release('success')
          return result
        } catch (error) {
          release(outcomeOf(error))
          throw error
        }
      }, retry, request.signal)
    },
    async *stream(request: ChatRequest): AsyncIterable<string> {
      for (let attempt = 1; ; attempt++) {
        const release = await limiter.acquire(request.signal)
        let started = false
        try {
          for await (const delta of inner.stream(request)) {
            started = true
            yield delta
          }
          release('success')
          return
        } catch (error) {
          release(outcomeOf(error))
          const delayMs = started ? undefined : retryDelay(error, attempt, retry)
          if (delayMs === undefined || request.signal?.aborted) throw error
          retry.onRetry?.({attempt, delayMs, error, errorClass: classifyLlmError(error)})
          await sleep(delayMs, request.signal)
        } finally {
          // A consumer that stops early (break/return) still gives the slot back.
          release('other')
        }
      }
    },
  }
}

function outcomeOf(error: unknown): LimiterOutcome {
  return classifyLlmError(error) === 'rate_limited' ? 'rate_limited' : 'other'
}

export interface ClientOptions {
  /** Retries are logged here (warn) unless `retry.onRetry` is given. */
  logger?: Logger
}

/**
 * The LLM profiles of a runtime and one client per profile, built on first use and shared by every
 * adapter of every execution of the runtime, so a profile's limiter (`max_concurrency`) bounds all
 * of them together. Owned by the composition root (`createRuntime`), handed to adapters as
 * `AdapterResources.llm`.
 */
export interface LlmClients {
  /** The profile named `name` (`default` resolves to what it points to). Builds no client, needs no key. */
  profile(name: string): Promise<LlmProfile>
  /** Throws `UserInputError` LLM_PROFILE_UNKNOWN, LLM_API_KEY_MISSING, SETTINGS_INVALID/NOT_FOUND. */
  client(name: string, options?: ClientOptions): Promise<ResilientChatClient>
  /** Every profile (health checks, `--print-settings`). */
  profiles(): Promise<LlmProfiles>
  /** The AIMD limiter of a profile, shared by its chat client and its embedders. */
  limiter(name: string): Promise<LlmConcurrencyLimiter>
}

/**
 * `LlmClients` over `profiles` (or, when absent, the settings file `loadLlmProfiles` finds, read on
 * first use; an error there is not kept, so a fixed file is read again).
 */
export function createLlmClients(profiles?: LlmProfiles | Promise<LlmProfiles>, options: LoadLlmProfilesOptions & CreateChatClientOptions = {}): LlmClients {
  let loaded: Promise<LlmProfiles> | undefined = profiles === undefined ? undefined : Promise.resolve(profiles)
  const clients = new Map<string, Promise<ResilientChatClient>>()
  const limiters = new Map<string, LlmConcurrencyLimiter>()
  const limiterOf = (resolved: LlmProfile) => {
    let limiter = limiters.get(resolved.name)
    if (limiter === undefined) {
      limiter = new LlmConcurrencyLimiter({max: resolved.max_concurrency})
      limiters.set(resolved.name, limiter)
    }
    return limiter
  }
  const all = () => {
    if (loaded === undefined) {
      loaded = loadLlmProfiles(options)
      loaded.catch(() => { loaded = undefined })
    }
    return loaded
  }
  const profile = async (name: string) => profileNamed(await all(), name)
  return {
    profile,
    profiles: all,
    limiter: async (name) => limiterOf(await profile(name)),
    async client(name, {logger} = {}) {
      const resolved = await profile(name)
      // Keyed by the resolved profile, so `default` and the profile it points to share one limiter.
      let client = clients.get(resolved.name)
      if (client === undefined) {
        const retry: LlmRetryOptions = {
          onRetry: logger === undefined ? undefined : ({attempt, delayMs, error, errorClass}) => logger.warn(
            {profile: resolved.name, attempt, delay_ms: Math.round(delayMs), error_class: errorClass, code: (error as {code?: unknown}).code},
            'LLM call failed; retrying',
          ),
          ...options.retry,
        }
        client = createChatClient(resolved, {...options, retry, limiter: limiterOf(resolved)})
        clients.set(resolved.name, client)
        client.catch(() => clients.delete(resolved.name))
      }
      return client
    },
  }
}

/**
 * What the LLM adapters add to a message's metadata: `llm_profile`, `llm_usage`
 * (`{input_tokens, output_tokens}` when the provider reports it) and `llm_note` (the local profile
 * saying that it generated nothing).
 */
export function llmMetadata(profile: string, answer: ChatCompletion): Record<string, unknown> {
  const metadata: Record<string, unknown> = {llm_profile: profile}
  if (answer.usage !== undefined) metadata.llm_usage = {input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens}
  if (answer.note !== undefined) metadata.llm_note = answer.note
  return metadata
}
