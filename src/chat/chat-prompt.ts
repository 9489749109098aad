import type {ChatMessage} from '../llm/chat-client.js'
import type {ChatSource} from './chat-types.js'
import type {PreviousTurn} from './standalone-query.js'

/** Characters of one passage put into the prompt. */
const PASSAGE_CHARS = 2400
/** Characters of one earlier answer kept in the history. */
const HISTORY_ANSWER_CHARS = 1500

/** What the answer says when retrieval found nothing: no model is asked, nothing is guessed. */
export const NOTHING_FOUND = 'I could not find anything about this in the ingested documents, so I cannot answer it from them. '
  + 'Try other words, or check that the pipeline ingested the pages you have in mind.'

/**
 * The prompt of one answer (docs/reference/server.md, "Chat service"): a system message holding the rules and
 * the numbered passages, then the thread's recent turns, then the question.
 */
export function buildChatPrompt(question: string, sources: readonly ChatSource[], history: readonly PreviousTurn[]): {system: string; messages: ChatMessage[]} {
  const passages = sources.map((source) => {
    const text = source.text.length > PASSAGE_CHARS ? `${source.text.slice(0, PASSAGE_CHARS)}…` : source.text
    return `[${source.index}] ${source.title} (${source.url})\n${text}`
  }).join('\n\n')
  const system = [
    'You answer questions about a set of documents, using only the numbered passages below.',
    `Cite the passages you use as [n] right after the statement they support; only the numbers 1 to ${sources.length} exist.`,
    'If the passages do not contain the answer, say that the documents do not cover it instead of guessing.',
    'Answer concisely, in the language of the question.',
    '',
    'Passages:',
    passages,
  ].join('\n')
  const messages: ChatMessage[] = []
  for (const turn of history) {
    messages.push({role: 'user', content: turn.question})
    messages.push({role: 'assistant', content: turn.answer.length > HISTORY_ANSWER_CHARS ? `${turn.answer.slice(0, HISTORY_ANSWER_CHARS)}…` : turn.answer})
  }
  messages.push({role: 'user', content: question})
  return {system, messages}
}
