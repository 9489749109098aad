import type {LlmProfile} from './settings.js'

export interface ChatMessage {
  role: 'user' | 'assistant'
  content: string
}

export interface ChatRequest {
  system?: string
  messages: readonly ChatMessage[]
  /** Overrides the profile's model. */
  model?: string
  maxTokens?: number
  temperature?: number
  /** Cancels the request (rejects with an `AbortError`). */
  signal?: AbortSignal
  /** `stream` only: called with the token counts when the provider reports them (not every one does). */
  onUsage?: (usage: ChatUsage) => void
}

export interface ChatUsage {
  inputTokens: number
  outputTokens: number
}

export interface ChatCompletion {
  text: string
  usage: ChatUsage | undefined
  /** Set by providers that did not generate the text (the offline `local` one says what it did). */
  note?: string
}

/**
 * A chat model behind one profile. Errors are `FactflowError`s classified for the retry layer
 * (`classifyLlmError`): `ExternalError` LLM_RATE_LIMITED (429, `details.retry_after_ms`),
 * LLM_HTTP_<status> (retryable for 408/5xx, terminal for other 4xx), LLM_BAD_RESPONSE (retryable),
 * `UnavailableError` LLM_UNREACHABLE / LLM_TIMEOUT; cancellation rejects with an `AbortError`.
 */
export interface ChatClient {
  readonly profile: LlmProfile
  complete(request: ChatRequest): Promise<ChatCompletion>
  /** Text deltas in order; the concatenation equals what `complete` would return. */
  stream(request: ChatRequest): AsyncIterable<string>
}
