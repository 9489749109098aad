/** A retrieved passage as an answer cites it: `[index]` in the text refers to it. */
export interface ChatSource {
  /** 1-based, in the order the passages were given to the model. */
  index: number
  title: string
  /** The page's URL, or the document id (`file://…`) when it has none. */
  url: string
  /** The retrieval score (hybrid: the reciprocal-rank-fusion sum). */
  score: number
  text: string
  document_id: string
  segment_index: number
}

/** Retrieval and model settings of a thread or of one turn (a turn's override the thread's). */
export interface ChatSettings {
  /** LLM profile answering (default `default`; `local` answers extractively, offline). */
  profile?: string
  /** Embedding slot searched (default: the only one in the database). */
  slot?: string
  /** Only documents whose id or source starts with this. */
  source?: string
  /** Passages retrieved per question (default 5, at most 20). */
  limit?: number
}

export interface ChatThread {
  id: string
  title: string
  owner: string | null
  settings: ChatSettings
  created_at: string
  updated_at: string
  /** Messages in the thread. */
  message_count: number
}

export interface ChatUsageJson {
  input_tokens: number
  output_tokens: number
}

export interface ChatMessageRecord {
  id: string
  thread_id: string
  role: 'user' | 'assistant'
  content: string
  sources: ChatSource[]
  query: string | null
  usage: ChatUsageJson | null
  status: 'complete' | 'error'
  error: {error_code: string; detail: string} | null
  created_at: string
}

/**
 * What an answer stream carries (docs/reference/server.md, "Chat answer stream"): `sources` once, then
 * `token`s, then `done`, or `error` (after which nothing follows; what was said is kept).
 */
export type ChatEvent =
  | {type: 'sources'; sources: ChatSource[]; query: string}
  | {type: 'token'; content: string}
  | {type: 'done'; message_id: string | null; usage: ChatUsageJson | null; answer: string}
  | {type: 'error'; message_id: string | null; error_code: string; detail: string; hint?: string; answer: string}
