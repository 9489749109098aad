import type {ChatClient, ChatCompletion, ChatRequest} from './chat-client.js'
import {fromSdkError} from './llm-errors.js'
import {requireApiKey, requireModel} from './profile-checks.js'
import type {LlmProfile} from './settings.js'

/** The Messages API requires `max_tokens`; used when neither adapter nor request caps the answer. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

/**
 * A `ChatClient` on `@anthropic-ai/sdk` (chat only). `base_url` overrides the API root (without
 * `/v1`). The SDK is imported on first use and its own retries are off (`maxRetries: 0`).
 */
export async function createAnthropicChatClient(profile: LlmProfile): Promise<ChatClient> {
  const sdk = await import('@anthropic-ai/sdk')
  const client = new sdk.Anthropic({
    apiKey: requireApiKey(profile),
    baseURL: profile.base_url ?? null,
    maxRetries: 0,
    timeout: profile.timeout * 1000,
  })

  function body(request: ChatRequest) {
    return {
      model: requireModel(profile, request.model),
      max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: request.messages.map((message) => ({role: message.role, content: message.content})),
      ...(request.system === undefined ? {} : {system: request.system}),
      // The Messages API takes 0–1; adapter configs allow OpenAI's 0–2.
      ...(request.temperature === undefined ? {} : {temperature: Math.min(1, request.temperature)}),
    }
  }

  return {
    profile,
    async complete(request): Promise<ChatCompletion> {
      try {
        const message = await client.messages.create({...body(request), stream: false}, {signal: request.signal})
        const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')
        return {text, usage: {inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens}}
      } catch (error) {
        throw fromSdkError(sdk, profile.name, error, request.signal)
      }
    },
    async *stream(request) {
      try {
        const stream = await client.messages.create({...body(request), stream: true}, {signal: request.signal})
        let inputTokens = 0
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text.length > 0) yield event.delta.text
          else if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens
          else if (event.type === 'message_delta') request.onUsage?.({inputTokens, outputTokens: event.usage.output_tokens})
        }
      } catch (error) {
        throw fromSdkError(sdk, profile.name, error, request.signal)
      }
    },
  }
}
