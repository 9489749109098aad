import type {ChatBackend} from '../chat/chat-session.js'
import type {ChatTurn} from '../chat/chat-service.js'
import type {ChatEvent, ChatMessageRecord, ChatSettings, ChatSource, ChatThread} from '../chat/chat-types.js'
import type {Page} from '../db/paging.js'
import {parseSse} from './event-stream.js'
import {answeredError} from './client-errors.js'
import type {FactflowClient} from './http-client.js'

/**
 * `factflow chat` through a server (`/api/v1/chat`): the same session, Ink view, line mode and
 * `--once` as `--local`, with threads kept by the server (per identity) and the answer read from
 * the server's SSE answer stream (`sources`, `token`…, `done` or `error`).
 */
export function createRemoteChat(client: FactflowClient): ChatBackend {
  const threadPath = (id: string) => `/chat/threads/${encodeURIComponent(id)}`

  async function ask(threadId: string, options: {question: string; settings?: ChatSettings}): Promise<ChatTurn> {
    const response = await client.fetch(`${threadPath(threadId)}/messages`, {
      method: 'POST', timeoutMs: null,
      headers: {'content-type': 'application/json', accept: 'text/event-stream'},
      body: JSON.stringify({content: options.question, ...options.settings}),
    })
    if (!response.ok || response.body === null) throw await answeredError(response)
    const events = parseSse(response.body, () => {})[Symbol.asyncIterator]()
    // The stream opens with `sources` (retrieval is done before the answer starts).
    const first = await events.next()
    const opening = first.done ? undefined : first.value
    const sources = (opening?.event === 'sources' ? opening.data.sources : []) as ChatSource[]
    const query = String(opening?.event === 'sources' ? opening.data.query ?? options.question : options.question)
    return {
      thread_id: threadId, question_id: null, query, sources,
      async* events(signal?: AbortSignal): AsyncGenerator<ChatEvent, void, undefined> {
        let answer = ''
        const stop = () => void events.return?.()
        signal?.addEventListener('abort', stop, {once: true})
        try {
          yield {type: 'sources', sources, query}
          if (opening !== undefined && opening.event !== 'sources') {
            yield toEvent(opening.event, opening.data, answer)
            return
          }
          for (;;) {
            const next = await events.next()
            if (next.done) break
            const {event, data} = next.value
            if (event === 'token') answer += String(data.content ?? '')
            yield toEvent(event, data, answer)
            if (event === 'done' || event === 'error') return
          }
          yield {type: 'error', message_id: null, error_code: 'SERVER_UNREACHABLE', detail: 'The server closed the answer stream before the answer ended', answer}
        } catch (error) {
          yield {type: 'error', message_id: null, error_code: signal?.aborted ? 'CHAT_ANSWER_CANCELLED' : 'SERVER_UNREACHABLE',
            detail: signal?.aborted ? 'The answer was stopped' : `The answer stream broke: ${(error as Error).message}`, answer}
        } finally {
          signal?.removeEventListener('abort', stop)
        }
      },
    }
  }

  return {
    ask: (threadId, options) => ask(threadId, options),
    async askInNewThread(thread, options) {
      const created = await client.send<ChatThread>('POST', '/chat/threads', {...(thread.title ? {title: thread.title} : {}), ...thread.settings})
      return ask(created.id, options)
    },
    async listMessages(id, page) {
      const {messages, ...rest} = await client.get<{messages: ChatMessageRecord[]} & Omit<Page<ChatMessageRecord>, 'items'>>(`${threadPath(id)}/messages`, {limit: page.limit, offset: page.offset})
      return {items: messages, ...rest}
    },
    async listThreads(page) {
      const {threads, ...rest} = await client.get<{threads: ChatThread[]} & Omit<Page<ChatThread>, 'items'>>('/chat/threads', {limit: page.limit, offset: page.offset})
      return {items: threads, ...rest}
    },
    // The server checks the profile and slot when a question comes; here there is nothing to ask.
    check: async (settings = {}) => ({profile: settings.profile ?? 'default', provider: `server ${client.serverUrl}`, slot: settings.slot ?? 'auto'}),
  }
}

function toEvent(event: string, data: Record<string, unknown>, answer: string): ChatEvent {
  switch (event) {
    case 'token': return {type: 'token', content: String(data.content ?? '')}
    case 'done': return {type: 'done', message_id: (data.message_id as string | null) ?? null, usage: (data.usage as never) ?? null, answer}
    case 'sources': return {type: 'token', content: ''}
    default: return {
      type: 'error', message_id: (data.message_id as string | null) ?? null, error_code: String(data.error_code ?? 'CHAT_ANSWER_FAILED'),
      detail: String(data.detail ?? 'The answer failed'), ...(typeof data.hint === 'string' ? {hint: data.hint} : {}), answer,
    }
  }
}
