import type {PageOptions, Page} from '../db/paging.js'
import type {Database} from '../db/types.js'
import {CancelledError, isFactflowError, UserInputError} from '../errors/index.js'
import type {ChatClient, ChatUsage} from '../llm/chat-client.js'
import type {LlmClients} from '../llm/create-chat-client.js'
import {isAbort} from '../llm/llm-errors.js'
import {silentLogger, type Logger} from '../logging/logger.js'
import type {SearchService} from '../search/search-service.js'
import {buildChatPrompt, NOTHING_FOUND} from './chat-prompt.js'
import {type ChatOwner, type ChatRepository, createChatRepository} from './chat-repository.js'
import type {ChatEvent, ChatMessageRecord, ChatSettings, ChatSource, ChatThread, ChatUsageJson} from './chat-types.js'
import {CitationFilter} from './citation-filter.js'
import {extractiveAnswer} from './extractive-answer.js'
import {retrievePassages} from './retrieve-passages.js'
import {type PreviousTurn, standaloneQuery} from './standalone-query.js'

export type * from './chat-types.js'
export type {ChatOwner} from './chat-repository.js'

export interface ChatServiceDeps {
  database: Pick<Database, 'query' | 'transaction'>
  search: SearchService
  llm: LlmClients
  logger?: Logger
}

export interface ChatServiceOptions {
  /** Earlier question/answer pairs put into the prompt (default 6). */
  historyTurns?: number
  /** Passages per question when neither thread nor turn says (default 5). */
  defaultLimit?: number
  /**
   * Least cosine similarity of a vector hit that counts as evidence. Default: 0.7 (docs/reference/server.md)
   * for model embeddings, 0.1 for the offline `factflow-hash-*` embedder, whose scale is lower
   * (docs/decisions.md, "Chat: similarity threshold of the local embedder").
   */
  minSimilarity?: (model: string) => number
}

export const MAX_PASSAGES = 20
export const MAX_QUESTION_CHARS = 8000

export interface AskOptions {
  question: string
  /** Overrides of the thread's settings for this turn. */
  settings?: ChatSettings
}

export interface StatelessAskOptions extends AskOptions {
  /** Earlier turns the caller keeps itself, oldest first. */
  history?: ReadonlyArray<{role: 'user' | 'assistant'; content: string}>
}

/**
 * One question on its way to an answer: retrieval is done (its failures were thrown by `ask`), the
 * question is stored; `events` runs the answer.
 */
export interface ChatTurn {
  thread_id: string | null
  /** The stored question (null when stateless). */
  question_id: string | null
  /** The query the passages were retrieved with (the question made standalone). */
  query: string
  sources: ChatSource[]
  /**
   * `sources`, the answer's `token`s, then `done` or `error`; stores the answer (with what was said
   * before an error, and when the consumer stops early or `signal` aborts: CHAT_ANSWER_CANCELLED).
   * Never throws. Iterate once.
   */
  events(signal?: AbortSignal): AsyncGenerator<ChatEvent, void, undefined>
}

/** A whole answer, collected from a turn's events. */
export interface ChatAnswer {
  answer: string
  sources: ChatSource[]
  thread_id: string | null
  message_id: string | null
  usage: ChatUsageJson | null
  query: string
  /** Set when the answer ended in an error (`answer` is what was said before). */
  error?: {error_code: string; detail: string; hint?: string}
}

export type ChatService = ReturnType<typeof createChatService>

const UNTITLED = ''

/**
 * The chat service of docs/reference/server.md, shared by `factflow chat` and the HTTP routes: threads and
 * their messages per owner, and answers grounded in retrieved passages — a follow-up made standalone,
 * hybrid retrieval, a prompt with numbered passages and the recent turns, the model's answer
 * streamed with `[n]` citations (only of retrieved passages), the sources stored with the answer.
 * The `local` profile answers extractively; when nothing relevant is retrieved, no model is asked
 * and the answer says so.
 */
export function createChatService(deps: ChatServiceDeps, options: ChatServiceOptions = {}) {
  const repository: ChatRepository = createChatRepository(deps.database)
  const logger = deps.logger ?? silentLogger
  const historyTurns = options.historyTurns ?? 6
  const minSimilarity = options.minSimilarity ?? ((model: string) => (model.startsWith('factflow-hash') ? 0.1 : 0.7))

  async function prepare(question: string, settings: ChatSettings, previous: PreviousTurn[]) {
    const text = question.trim()
    if (text === '') throw new UserInputError('CHAT_QUESTION_EMPTY', 'The question is empty.')
    if (text.length > MAX_QUESTION_CHARS) {
      throw new UserInputError('CHAT_QUESTION_EMPTY', `The question is over ${MAX_QUESTION_CHARS} characters.`, {hint: 'Ask a shorter question.'})
    }
    const client = await deps.llm.client(settings.profile ?? 'default', {logger})
    const slot = await resolveSlot(settings.slot)
    const query = await standaloneQuery(text, previous, client, {logger})
    const sources = await retrievePassages(deps.search, query, {
      slot: slot.slot, source: settings.source, limit: limitOf(settings.limit ?? options.defaultLimit), minSimilarity: minSimilarity(slot.model),
    })
    return {text, client, query, sources}
  }

  async function resolveSlot(wanted: string | undefined): Promise<{slot: string; model: string}> {
    const slots = await deps.search.slots()
    if (wanted !== undefined) {
      const found = slots.find((slot) => slot.slot === wanted)
      // Unknown: the search service says so with its own code.
      return found ?? {slot: wanted, model: ''}
    }
    if (slots.length === 1) return slots[0]!
    if (slots.length === 0) {
      throw new UserInputError('SEARCH_NO_EMBEDDINGS', 'The database holds no embeddings to chat about yet.', {
        hint: 'Run a pipeline with embedding_generator first, e.g. `npm run demo`.',
      })
    }
    throw new UserInputError('SEARCH_SLOT_REQUIRED', `The database holds ${slots.length} embedding slots: ${slots.map((s) => s.slot).join(', ')}.`, {
      hint: 'Pick one with --slot (or `slot` in the request).',
    })
  }

  function turn(base: {thread_id: string | null; question_id: string | null; text: string; query: string; sources: ChatSource[]; client: ChatClient; history: PreviousTurn[]}): ChatTurn {
    let started = false
    return {
      thread_id: base.thread_id, question_id: base.question_id, query: base.query, sources: base.sources,
      events(signal) {
        if (started) throw new Error('a chat turn is answered once')
        started = true
        return answerEvents(base, signal)
      },
    }
  }

  async function* answerEvents(base: Parameters<typeof turn>[0], signal: AbortSignal | undefined): AsyncGenerator<ChatEvent, void, undefined> {
    const {sources, client} = base
    let answer = ''
    let usage: ChatUsage | undefined
    let stored = false
    const store = async (status: 'complete' | 'error', error?: {error_code: string; detail: string}): Promise<string | null> => {
      stored = true
      if (base.thread_id === null) return null
      const message = await repository.addAssistantMessage(base.thread_id, {
        content: answer, sources, query: base.query, usage: usageJson(usage), status, ...(error ? {error} : {}),
      })
      return message.id
    }
    try {
      yield {type: 'sources', sources, query: base.query}
      const pieces = sources.length === 0
        ? words(NOTHING_FOUND)
        : client.profile.provider_type === 'local'
          ? words(extractiveAnswer(base.text, sources, base.query))
          : modelAnswer(base, signal, (reported) => { usage = reported })
      for await (const piece of pieces) {
        if (signal?.aborted) throw new CancelledError('CHAT_ANSWER_CANCELLED', 'The answer was stopped.')
        answer += piece
        yield {type: 'token', content: piece}
      }
      const messageId = await store('complete')
      yield {type: 'done', message_id: messageId, usage: usageJson(usage), answer}
    } catch (error) {
      const cancelled = signal?.aborted === true || isAbort(error)
      const failure = {
        error_code: cancelled ? 'CHAT_ANSWER_CANCELLED' : isFactflowError(error) ? error.code : 'CHAT_ANSWER_FAILED',
        detail: cancelled ? 'The answer was stopped before it ended.' : error instanceof Error ? error.message : String(error),
      }
      if (!cancelled) logger.warn({err: error, thread_id: base.thread_id}, 'chat answer failed')
      let messageId: string | null = null
      try {
        if (!stored) messageId = await store('error', failure)
      } catch (storeError) {
        logger.warn({err: storeError, thread_id: base.thread_id}, 'could not store the failed chat answer')
      }
      const hint = isFactflowError(error) ? error.hint : undefined
      yield {type: 'error', message_id: messageId, ...failure, ...(hint ? {hint} : {}), answer}
    } finally {
      // The consumer stopped early (a client went away): keep what was said.
      if (!stored) {
        await store('error', {error_code: 'CHAT_ANSWER_CANCELLED', detail: 'The answer was stopped before it ended.'})
          .catch((error: unknown) => logger.warn({err: error}, 'could not store the stopped chat answer'))
      }
    }
  }

  async function* modelAnswer(base: Parameters<typeof turn>[0], signal: AbortSignal | undefined, onUsage: (usage: ChatUsage) => void): AsyncGenerator<string> {
    const prompt = buildChatPrompt(base.text, base.sources, base.history)
    const filter = new CitationFilter(base.sources.length)
    for await (const delta of base.client.stream({...prompt, temperature: 0.2, signal, onUsage})) {
      const shown = filter.push(delta)
      if (shown !== '') yield shown
    }
    const rest = filter.end()
    if (rest !== '') yield rest
  }

  return {
    repository,

    /** @throws UserInputError `LLM_PROFILE_UNKNOWN` when the settings name a profile that does not exist. */
    async createThread(input: {title?: string; settings?: ChatSettings}, owner: ChatOwner): Promise<ChatThread> {
      const settings = cleanSettings(input.settings ?? {})
      if (settings.profile !== undefined) await deps.llm.profile(settings.profile)
      return repository.createThread({title: input.title?.trim() ?? UNTITLED, settings}, owner)
    },
    getThread: (id: string, owner: ChatOwner) => repository.getThread(id, owner),
    listThreads: (page: PageOptions, owner: ChatOwner): Promise<Page<ChatThread>> => repository.listThreads(page, owner),
    deleteThread: (id: string, owner: ChatOwner) => repository.deleteThread(id, owner),
    listMessages: (id: string, page: PageOptions, owner: ChatOwner): Promise<Page<ChatMessageRecord>> => repository.listMessages(id, page, owner),

    /**
     * Asks a question in a thread. Throws before anything is stored when the thread is not there
     * (`CHAT_THREAD_NOT_FOUND`), the question is empty, the profile is unknown or lacks a key, or
     * retrieval fails (no embeddings, unknown slot); then stores the question and returns the turn.
     */
    async ask(threadId: string, ask: AskOptions, owner: ChatOwner): Promise<ChatTurn> {
      const thread = await repository.getThread(threadId, owner)
      const settings = {...thread.settings, ...cleanSettings(ask.settings ?? {})}
      const history = turnsOf(await repository.recentMessages(threadId, historyTurns))
      const prepared = await prepare(ask.question, settings, history)
      const question = await repository.addUserMessage(threadId, prepared.text)
      return turn({...prepared, thread_id: threadId, question_id: question.id, history})
    },

    /**
     * Asks the first question of a new thread: the thread is created only once the question passed
     * every check `ask` makes, so a refused question leaves no empty thread behind.
     */
    async askInNewThread(thread: {title?: string; settings?: ChatSettings}, ask: AskOptions, owner: ChatOwner): Promise<ChatTurn> {
      const settings = cleanSettings(thread.settings ?? {})
      const prepared = await prepare(ask.question, {...settings, ...cleanSettings(ask.settings ?? {})}, [])
      const created = await repository.createThread({title: thread.title?.trim() ?? UNTITLED, settings}, owner)
      const question = await repository.addUserMessage(created.id, prepared.text)
      return turn({...prepared, thread_id: created.id, question_id: question.id, history: []})
    },

    /** Checks that questions with `settings` can be answered (profile known and usable, a slot to search); throws what `ask` would. */
    async check(settings: ChatSettings = {}): Promise<{profile: string; provider: string; slot: string}> {
      const client = await deps.llm.client(settings.profile ?? 'default', {logger})
      const slot = await resolveSlot(settings.slot)
      return {profile: client.profile.name, provider: client.profile.provider_type, slot: slot.slot}
    },

    /** A question without a thread (`/chat/complete`, `/chat/stream`): nothing is stored. */
    async askStateless(ask: StatelessAskOptions): Promise<ChatTurn> {
      const history = pairTurns((ask.history ?? []).slice(-historyTurns * 2))
      const prepared = await prepare(ask.question, cleanSettings(ask.settings ?? {}), history)
      return turn({...prepared, thread_id: null, question_id: null, history})
    },
  }
}

/** Runs a turn to its end and collects the answer. */
export async function collectAnswer(turn: ChatTurn, signal?: AbortSignal): Promise<ChatAnswer> {
  const result: ChatAnswer = {answer: '', sources: turn.sources, thread_id: turn.thread_id, message_id: null, usage: null, query: turn.query}
  for await (const event of turn.events(signal)) {
    if (event.type === 'done') Object.assign(result, {answer: event.answer, message_id: event.message_id, usage: event.usage})
    if (event.type === 'error') {
      Object.assign(result, {answer: event.answer, message_id: event.message_id})
      result.error = {error_code: event.error_code, detail: event.detail, ...(event.hint ? {hint: event.hint} : {})}
    }
  }
  return result
}

function limitOf(limit: number | undefined): number {
  return Math.min(MAX_PASSAGES, Math.max(1, Math.floor(limit ?? 5)))
}

function cleanSettings(settings: ChatSettings): ChatSettings {
  const out: ChatSettings = {}
  if (settings.profile !== undefined) out.profile = settings.profile
  if (settings.slot !== undefined) out.slot = settings.slot
  if (settings.source !== undefined) out.source = settings.source
  if (settings.limit !== undefined) out.limit = limitOf(settings.limit)
  return out
}

/** Stored messages as question/answer turns; a question whose answer failed before any word is left out. */
function turnsOf(messages: readonly ChatMessageRecord[]): PreviousTurn[] {
  const turns: PreviousTurn[] = []
  for (let i = 0; i < messages.length - 1; i++) {
    const [question, answer] = [messages[i]!, messages[i + 1]!]
    if (question.role !== 'user' || answer.role !== 'assistant') continue
    if (answer.content.trim() !== '') turns.push({question: question.content, query: answer.query, answer: answer.content})
    i++
  }
  return turns
}

function pairTurns(history: ReadonlyArray<{role: 'user' | 'assistant'; content: string}>): PreviousTurn[] {
  return turnsOf(history.map((message, i) => ({
    id: String(i), thread_id: '', role: message.role, content: message.content, sources: [], query: null, usage: null,
    status: 'complete', error: null, created_at: '',
  })))
}

function usageJson(usage: ChatUsage | undefined): ChatUsageJson | null {
  return usage === undefined ? null : {input_tokens: usage.inputTokens, output_tokens: usage.outputTokens}
}

/** Text as word-sized tokens, so extractive answers stream like generated ones. */
function* words(text: string): Generator<string> {
  for (const match of text.matchAll(/\S+\s*/g)) yield match[0]
}
