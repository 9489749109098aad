import type {ChatOwner} from './chat-repository.js'
import {type ChatService, type ChatTurn, collectAnswer} from './chat-service.js'
import type {ChatSettings, ChatSource} from './chat-types.js'
import {citedIndexes} from './citation-filter.js'

/** One turn of a labelled conversation: the question and the pages (ids as `pageOf` names them) that answer it. */
export interface LabelledTurn {
  q: string
  pages: string[]
}

export interface ChatQualityMiss {
  q: string
  /** Index of the turn in its thread (0: the opening question, 1…: follow-ups). */
  turn: number
  expected: string[]
  /** The standalone query the passages were retrieved with. */
  query: string
  /** Pages of the passages retrieved, in rank order. */
  retrieved: Array<string | undefined>
  /** Pages of the passages the answer cited. */
  cited: Array<string | undefined>
}

export interface ChatQualityResult {
  /** Share of turns whose answer cites a passage from one of their pages (0…1). */
  hitRate: number
  hits: number
  total: number
  /** Of the misses, how many had an answering page retrieved (so the answer's choice of sentences missed it). */
  citationMisses: number
  misses: ChatQualityMiss[]
  /** Milliseconds from `ask` to the answer's last event, per turn, in the order asked. */
  answerMs: number[]
}

/**
 * Runs labelled conversations through the chat service and counts a turn as a hit when its answer
 * cites (by `[n]`) a passage from one of the turn's pages. Each conversation is one thread, so
 * follow-ups are made standalone from the turns before them, as a user's would be. Turns run one
 * after another, so the timings do not depend on concurrency. Threads are left in the database.
 */
export async function runChatQuality(
  chat: Pick<ChatService, 'askInNewThread' | 'ask'>,
  threads: ReadonlyArray<readonly LabelledTurn[]>,
  pageOf: (source: ChatSource) => string | undefined,
  options: {settings?: ChatSettings; owner?: ChatOwner} = {},
): Promise<ChatQualityResult> {
  const settings = options.settings ?? {profile: 'local'}
  const owner = options.owner ?? null
  const misses: ChatQualityMiss[] = []
  const answerMs: number[] = []
  let total = 0
  for (const thread of threads) {
    let threadId: string | null = null
    for (const [index, labelled] of thread.entries()) {
      total++
      const started = performance.now()
      const turn: ChatTurn = threadId === null
        ? await chat.askInNewThread({settings}, {question: labelled.q}, owner)
        : await chat.ask(threadId, {question: labelled.q}, owner)
      threadId = turn.thread_id
      const answer = await collectAnswer(turn)
      answerMs.push(performance.now() - started)
      const cited = citedIndexes(answer.answer).map((n) => answer.sources.find((source) => source.index === n)).filter((s) => s !== undefined)
      const citedPages = cited.map(pageOf)
      if (!citedPages.some((page) => page !== undefined && labelled.pages.includes(page))) {
        misses.push({q: labelled.q, turn: index, expected: labelled.pages, query: answer.query, retrieved: answer.sources.map(pageOf), cited: citedPages})
      }
    }
  }
  const citationMisses = misses.filter((miss) => miss.retrieved.some((page) => page !== undefined && miss.expected.includes(page))).length
  return {hitRate: total === 0 ? 0 : (total - misses.length) / total, hits: total - misses.length, total, citationMisses, misses, answerMs}
}
