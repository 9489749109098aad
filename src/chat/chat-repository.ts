import {v7 as uuidv7} from 'uuid'

import {pageBounds, type Page, type PageOptions, toPage} from '../db/paging.js'
import type {Database} from '../db/types.js'
import {isUuid} from '../db/uuid.js'
import {NotFoundError} from '../errors/index.js'
import type {ChatMessageRecord, ChatSettings, ChatSource, ChatThread, ChatUsageJson} from './chat-types.js'

/** Who is asking: the forwarded identity, or null (the CLI, a server without SSO). */
export type ChatOwner = string | null

export interface NewAssistantMessage {
  content: string
  sources: ChatSource[]
  query: string
  usage: ChatUsageJson | null
  status: 'complete' | 'error'
  error?: {error_code: string; detail: string}
}

/**
 * Threads and messages in `chat_threads` / `chat_messages`. Every read and write is scoped to an
 * owner: a thread is visible only to the identity that created it (or, created without one, only
 * without one), and one that is not visible is "not found".
 */
export interface ChatRepository {
  createThread(input: {title: string; settings: ChatSettings}, owner: ChatOwner): Promise<ChatThread>
  /** @throws NotFoundError `CHAT_THREAD_NOT_FOUND`. */
  getThread(id: string, owner: ChatOwner): Promise<ChatThread>
  listThreads(page: PageOptions, owner: ChatOwner): Promise<Page<ChatThread>>
  /** @throws NotFoundError `CHAT_THREAD_NOT_FOUND`. */
  deleteThread(id: string, owner: ChatOwner): Promise<void>
  /** Oldest first. @throws NotFoundError `CHAT_THREAD_NOT_FOUND`. */
  listMessages(threadId: string, page: PageOptions, owner: ChatOwner): Promise<Page<ChatMessageRecord>>
  /** The last `turns` question/answer pairs, oldest first (for the prompt). */
  recentMessages(threadId: string, turns: number): Promise<ChatMessageRecord[]>
  addUserMessage(threadId: string, content: string): Promise<ChatMessageRecord>
  addAssistantMessage(threadId: string, message: NewAssistantMessage): Promise<ChatMessageRecord>
}

const THREAD_COLUMNS = `t.id, t.title, t.owner, t.settings, t.created_at, t.updated_at,
  (SELECT count(*)::int FROM chat_messages m WHERE m.thread_id = t.id) AS message_count`
const MESSAGE_COLUMNS = 'id, thread_id, role, content, sources, query, usage, status, error, created_at'

type Row<T> = Omit<T, 'created_at' | 'updated_at'> & {created_at: Date | string; updated_at?: Date | string}

export function createChatRepository(db: Pick<Database, 'query' | 'transaction'>): ChatRepository {
  const notFound = (id: string) => new NotFoundError('CHAT_THREAD_NOT_FOUND', `No chat thread ${JSON.stringify(id.slice(0, 200))}.`, {
    hint: 'List the threads (GET /chat/threads, or /threads in `factflow chat`) to find its id.',
  })

  async function getThread(id: string, owner: ChatOwner): Promise<ChatThread> {
    if (!isUuid(id)) throw notFound(id)
    const {rows} = await db.query<Row<ChatThread>>(
      `SELECT ${THREAD_COLUMNS} FROM chat_threads t WHERE t.id = $1 AND t.owner IS NOT DISTINCT FROM $2`, [id, owner])
    if (rows[0] === undefined) throw notFound(id)
    return toThread(rows[0])
  }

  async function addMessage(threadId: string, values: Omit<ChatMessageRecord, 'id' | 'thread_id' | 'created_at'>): Promise<ChatMessageRecord> {
    const id = uuidv7()
    const {rows} = await db.transaction(async (tx) => {
      const inserted = await tx.query<Row<ChatMessageRecord>>(
        `INSERT INTO chat_messages (id, thread_id, role, content, sources, query, usage, status, error)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9::jsonb) RETURNING ${MESSAGE_COLUMNS}`,
        [id, threadId, values.role, values.content, JSON.stringify(values.sources), values.query,
          values.usage === null ? null : JSON.stringify(values.usage), values.status, values.error === null ? null : JSON.stringify(values.error)])
      // A thread created without a title is named after its first question.
      await tx.query(`UPDATE chat_threads SET updated_at = now(),
        title = CASE WHEN title = '' AND $2 = 'user' THEN left(regexp_replace($3, '\\s+', ' ', 'g'), 80) ELSE title END WHERE id = $1`,
      [threadId, values.role, values.content])
      return inserted
    })
    return toMessage(rows[0]!)
  }

  return {
    getThread,

    async createThread(input, owner) {
      const {rows} = await db.query<Row<ChatThread>>(
        `INSERT INTO chat_threads AS t (id, owner, title, settings) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${THREAD_COLUMNS}`,
        [uuidv7(), owner, input.title, JSON.stringify(input.settings)])
      return toThread(rows[0]!)
    },

    async listThreads(page, owner) {
      const bounds = pageBounds(page)
      const [{rows}, count] = await Promise.all([
        db.query<Row<ChatThread>>(`SELECT ${THREAD_COLUMNS} FROM chat_threads t WHERE t.owner IS NOT DISTINCT FROM $1
          ORDER BY t.updated_at DESC, t.id DESC LIMIT $2 OFFSET $3`, [owner, bounds.limit, bounds.offset]),
        db.query<{n: number}>('SELECT count(*)::int AS n FROM chat_threads WHERE owner IS NOT DISTINCT FROM $1', [owner]),
      ])
      return toPage(rows.map(toThread), count.rows[0]!.n, bounds)
    },

    async deleteThread(id, owner) {
      if (!isUuid(id)) throw notFound(id)
      const {rowCount} = await db.query('DELETE FROM chat_threads WHERE id = $1 AND owner IS NOT DISTINCT FROM $2', [id, owner])
      if (rowCount === 0) throw notFound(id)
    },

    async listMessages(threadId, page, owner) {
      await getThread(threadId, owner)
      const bounds = pageBounds(page)
      const [{rows}, count] = await Promise.all([
        db.query<Row<ChatMessageRecord>>(`SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE thread_id = $1
          ORDER BY created_at, id LIMIT $2 OFFSET $3`, [threadId, bounds.limit, bounds.offset]),
        db.query<{n: number}>('SELECT count(*)::int AS n FROM chat_messages WHERE thread_id = $1', [threadId]),
      ])
      return toPage(rows.map(toMessage), count.rows[0]!.n, bounds)
    },

    async recentMessages(threadId, turns) {
      const {rows} = await db.query<Row<ChatMessageRecord>>(`SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM chat_messages
        WHERE thread_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) recent ORDER BY created_at, id`, [threadId, turns * 2])
      return rows.map(toMessage)
    },

    addUserMessage: (threadId, content) =>
      addMessage(threadId, {role: 'user', content, sources: [], query: null, usage: null, status: 'complete', error: null}),

    addAssistantMessage: (threadId, message) => addMessage(threadId, {
      role: 'assistant', content: message.content, sources: message.sources, query: message.query, usage: message.usage,
      status: message.status, error: message.error ?? null,
    }),
  }
}

const iso = (value: Date | string) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString())

function toThread(row: Row<ChatThread>): ChatThread {
  return {
    id: row.id, title: row.title, owner: row.owner, settings: row.settings ?? {}, message_count: Number(row.message_count),
    created_at: iso(row.created_at), updated_at: iso(row.updated_at ?? row.created_at),
  }
}

function toMessage(row: Row<ChatMessageRecord>): ChatMessageRecord {
  return {
    id: row.id, thread_id: row.thread_id, role: row.role, content: row.content, sources: row.sources ?? [], query: row.query,
    usage: row.usage, status: row.status, error: row.error, created_at: iso(row.created_at),
  }
}
