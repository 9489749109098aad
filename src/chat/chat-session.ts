import type {ChatService} from './chat-service.js'
import type {ChatEvent, ChatSettings, ChatSource, ChatThread} from './chat-types.js'

/** One earlier turn of a thread, for showing it again. */
export interface SessionTurn {
  question: string
  answer: string
  sources: ChatSource[]
  error?: string
}

/**
 * A conversation as `factflow chat` holds it (the Ink view and the plain-line mode alike): the
 * current thread, created with the first question, and the last retrieval for `/sources`.
 */
export interface ChatSession {
  readonly threadId: string | null
  readonly lastSources: readonly ChatSource[]
  /** Asks in the current thread; `onEvent` gets every event. Throws what the service refuses with. */
  ask(question: string, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<void>
  /** The next question starts a new thread. */
  newThread(): void
  /** Continue an existing thread; resolves to its turns so far. */
  openThread(id: string): Promise<SessionTurn[]>
  threads(): Promise<ChatThread[]>
}

export function createChatSession(chat: ChatService, options: {threadId?: string; settings?: ChatSettings} = {}): ChatSession {
  let threadId: string | null = options.threadId ?? null
  let lastSources: ChatSource[] = []
  const settings = options.settings ?? {}
  return {
    get threadId() { return threadId },
    get lastSources() { return lastSources },

    async ask(question, onEvent, signal) {
      const turn = threadId === null
        ? await chat.askInNewThread({settings}, {question}, null)
        : await chat.ask(threadId, {question, settings}, null)
      threadId = turn.thread_id
      lastSources = turn.sources
      for await (const event of turn.events(signal)) onEvent(event)
    },

    newThread() {
      threadId = null
      lastSources = []
    },

    async openThread(id) {
      const messages = (await chat.listMessages(id, {limit: 1000}, null)).items
      threadId = id
      const turns: SessionTurn[] = []
      for (const message of messages) {
        if (message.role === 'user') turns.push({question: message.content, answer: '', sources: []})
        else if (turns.length > 0) {
          const last = turns.at(-1)!
          Object.assign(last, {answer: message.content, sources: message.sources}, message.error ? {error: message.error.detail} : {})
          lastSources = message.sources
        }
      }
      return turns
    },

    threads: async () => (await chat.listThreads({limit: 20}, null)).items,
  }
}

/** The citation lines under an answer: `[n] title — url`. */
export function formatSources(sources: readonly ChatSource[]): string[] {
  return sources.map((source) => `[${source.index}] ${source.title}${source.url === source.title ? '' : ` — ${source.url}`}`)
}

/** `/threads` lines: id, messages, title. */
export function formatThreads(threads: readonly ChatThread[], current: string | null): string[] {
  if (threads.length === 0) return ['No threads yet.']
  return threads.map((thread) => `${thread.id === current ? '*' : ' '} ${thread.id}  ${String(thread.message_count).padStart(3)} msgs  ${thread.title || '(untitled)'}`)
}

/** The commands of the chat prompt. */
export const CHAT_COMMANDS_HELP = '/new starts a thread · /threads lists them · /sources shows the last retrieval · /quit'
