import type {ChatCompletionMessageParam} from 'openai/resources/chat/completions'
import type OpenAI from 'openai'

import type {ChatClient, ChatCompletion, ChatRequest} from './chat-client.js'
import {fromSdkError, llmBadResponse} from './llm-errors.js'
import {requireApiKey, requireModel} from './profile-checks.js'
import type {LlmProfile} from './settings.js'

/**
 * A `ChatClient` on the `openai` SDK for `openai`, `azure` (AzureOpenAI: `base_url` is the
 * endpoint, `deployment` defaults to the model) and `openai_compatible` (`base_url` is the API root,
 * e.g. `http://localhost:11434/v1`; a key is optional). The SDK is imported on first use and its
 * own retries are off (`maxRetries: 0`): the retry layer of `createChatClient` is the only one.
 */
export async function createOpenAiChatClient(profile: LlmProfile): Promise<ChatClient> {
  const {sdk, client} = await openAiSdkClient(profile)
  // Many OpenAI-compatible servers know only the older `max_tokens`.
  const tokensField = profile.provider_type === 'openai_compatible' ? 'max_tokens' : 'max_completion_tokens'

  function body(request: ChatRequest) {
    const messages: ChatCompletionMessageParam[] = []
    if (request.system !== undefined) messages.push({role: 'system', content: request.system})
    for (const message of request.messages) messages.push({role: message.role, content: message.content})
    return {
      model: requireModel(profile, request.model),
      messages,
      ...(request.maxTokens === undefined ? {} : {[tokensField]: request.maxTokens}),
      ...(request.temperature === undefined ? {} : {temperature: request.temperature}),
    }
  }

  return {
    profile,
    async complete(request): Promise<ChatCompletion> {
      let completion
      try {
        completion = await client.chat.completions.create({...body(request), stream: false}, {signal: request.signal})
      } catch (error) {
        throw fromSdkError(sdk, profile.name, error, request.signal)
      }
      const text = completion.choices?.[0]?.message?.content
      if (typeof text !== 'string') throw llmBadResponse(profile.name, new Error('the answer has no choices[0].message.content'))
      const usage = completion.usage
      return {text, usage: usage ? {inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens} : undefined}
    },
    async *stream(request) {
      try {
        const usageOption = request.onUsage === undefined ? {} : {stream_options: {include_usage: true}}
        const stream = await client.chat.completions.create({...body(request), stream: true, ...usageOption}, {signal: request.signal})
        for await (const chunk of stream) {
          const delta = chunk.choices?.[0]?.delta?.content
          if (typeof delta === 'string' && delta.length > 0) yield delta
          // With include_usage the last chunk carries the counts (and no choices).
          if (chunk.usage) request.onUsage?.({inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens})
        }
      } catch (error) {
        throw fromSdkError(sdk, profile.name, error, request.signal)
      }
    },
  }
}

/**
 * The `openai` SDK (imported on first use) and its client for an `openai`, `azure` or
 * `openai_compatible` profile, with the SDK's own retries off. Shared by chat and embeddings.
 * Throws `UserInputError` LLM_API_KEY_MISSING when the profile needs a key it lacks.
 */
export async function openAiSdkClient(profile: LlmProfile): Promise<{sdk: typeof import('openai'); client: OpenAI}> {
  const sdk = await import('openai')
  const common = {maxRetries: 0, timeout: profile.timeout * 1000}
  const client = profile.provider_type === 'azure'
    ? new sdk.AzureOpenAI({
      ...common,
      apiKey: requireApiKey(profile),
      endpoint: profile.base_url,
      apiVersion: profile.api_version ?? '2024-10-21',
      deployment: profile.deployment ?? profile.model,
    })
    : new sdk.OpenAI({
      ...common,
      apiKey: profile.provider_type === 'openai_compatible' ? (profile.api_key ?? 'not-needed') : requireApiKey(profile),
      baseURL: profile.base_url ?? null,
    })
  return {sdk, client}
}
