import type {ChatClient} from '../llm/chat-client.js'
import type {Logger} from '../logging/logger.js'
import {contentWords} from './extractive-answer.js'

/** A previous turn of the thread, as far as retrieval needs it. */
export interface PreviousTurn {
  question: string
  /** The standalone query the turn was retrieved with. */
  query: string | null
  answer: string
}

const FOLLOW_UP_START = /^\s*(and|but|or|so|also|then|what about|how about|why|same|more|ok|okay)\b/i
const ANAPHOR = /\b(it|its|it's|this|that|these|those|they|them|their|there|he|she|him|her|one|ones|former|latter|above|same)\b/i

/** True when a question leans on the conversation ("and how do I undo it?"). */
export function looksLikeFollowUp(question: string): boolean {
  return FOLLOW_UP_START.test(question) || ANAPHOR.test(question) || contentWords(question).size <= 2
}

/**
 * The offline rewrite: a follow-up question is searched together with the previous turn's query,
 * so "and how do I undo it?" after "how do I enable the firewall?" retrieves firewall passages. A
 * question that stands alone is searched as it is.
 */
export function heuristicStandaloneQuery(question: string, previous: readonly PreviousTurn[]): string {
  const last = previous.at(-1)
  if (last === undefined || !looksLikeFollowUp(question)) return question
  return `${last.query ?? last.question} ${question}`
}

const REWRITE_SYSTEM = 'You turn the last question of a conversation into one standalone search query that can be understood '
  + 'without the conversation: resolve pronouns and references, keep the user\'s terms, add nothing else. '
  + 'Reply with the query only, on one line, without quotes.'
const MAX_QUERY_CHARS = 500

/**
 * A follow-up question made standalone before retrieval. With a model (any profile but `local`) the
 * model rewrites it from the last turns; when the call fails or the answer is unusable (empty, too
 * long), the offline rewrite stands in, so retrieval never waits on a broken provider twice.
 */
export async function standaloneQuery(question: string, previous: readonly PreviousTurn[], client: ChatClient | undefined, options: {logger?: Logger; signal?: AbortSignal} = {}): Promise<string> {
  if (previous.length === 0) return question
  if (client === undefined || client.profile.provider_type === 'local') return heuristicStandaloneQuery(question, previous)
  const conversation = previous.slice(-3).map((turn) => `User: ${turn.question}\nAssistant: ${turn.answer.slice(0, 600)}`).join('\n')
  try {
    const {text} = await client.complete({
      system: REWRITE_SYSTEM, maxTokens: 120, temperature: 0, signal: options.signal,
      messages: [{role: 'user', content: `Conversation:\n${conversation}\n\nLast question: ${question}\n\nStandalone query:`}],
    })
    const query = text.trim().split('\n')[0]!.replace(/^["']|["']$/g, '').trim()
    if (query !== '' && query.length <= MAX_QUERY_CHARS) return query
  } catch (error) {
    if (options.signal?.aborted) throw error
    options.logger?.warn({err: error}, 'could not rewrite the follow-up question; searching with the previous question added')
  }
  return heuristicStandaloneQuery(question, previous)
}
