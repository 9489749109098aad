import type {ChatClient, ChatCompletion, ChatRequest} from './chat-client.js'
import {abortError} from './llm-errors.js'
import type {LlmProfile} from './settings.js'

export const LOCAL_NOTE = 'local profile: offline, no text was generated; the answer is the input quoted unchanged'

/**
 * The offline `local` provider (docs/reference/adapters.md): it generates nothing. Its answer is the last user
 * message quoted unchanged (extractive), with `note` saying so. That makes `llm_translator` pass
 * text through untranslated and `llm_transform` store its filled-in prompt, and both put the note
 * in their output — so pipelines run on a machine with no key and no network, and say what they did.
 */
export function createLocalChatClient(profile: LlmProfile): ChatClient {
  function answer(request: ChatRequest): ChatCompletion {
    if (request.signal?.aborted) throw abortError(request.signal)
    const text = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? ''
    return {text, usage: undefined, note: LOCAL_NOTE}
  }
  return {
    profile,
    complete: async (request) => answer(request),
    async *stream(request) {
      const {text} = answer(request)
      if (text.length > 0) yield text
    },
  }
}
