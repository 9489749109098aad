import {createRoute, type OpenAPIHono, z} from '@hono/zod-openapi'

import {type ChatEvent, type ChatTurn, collectAnswer, MAX_PASSAGES, MAX_QUESTION_CHARS} from '../../src/chat/chat-service.js'
import {CancelledError, ExternalError} from '../../src/errors/index.js'
import type {ErrorCode} from '../../src/errors/error-codes.js'
import {createRuntimeChatService} from '../../src/services/chat-service.js'
import type {AppEnv, AppServices} from '../app.js'
import {sseEventStream} from '../sse.js'
import {API_PREFIX, errors, json, pageQuery} from './common.js'

const settingsFields = {
  profile: z.string().min(1).max(200).optional().openapi({description: 'LLM profile that answers (default `default`; `local` is offline and extractive)'}),
  slot: z.string().min(1).max(200).optional().openapi({description: 'Embedding slot searched (default: the only one)'}),
  source: z.string().min(1).max(2000).optional().openapi({description: 'Only documents whose id or source starts with this'}),
  limit: z.number().int().min(1).max(MAX_PASSAGES).optional().openapi({description: `Passages retrieved per question (default 5, 1..${MAX_PASSAGES})`}),
}
const settingsSchema = z.object(settingsFields).openapi('ChatSettings')
const sourceSchema = z.object({
  index: z.number(), title: z.string(), url: z.string(), score: z.number(), text: z.string(), document_id: z.string(), segment_index: z.number(),
}).openapi('ChatSource')
const usageSchema = z.object({input_tokens: z.number(), output_tokens: z.number()}).nullable()
const threadSchema = z.object({
  id: z.string(), title: z.string(), owner: z.string().nullable(), settings: settingsSchema, message_count: z.number(),
  created_at: z.string(), updated_at: z.string(),
}).openapi('ChatThread')
const messageSchema = z.object({
  id: z.string(), thread_id: z.string(), role: z.enum(['user', 'assistant']), content: z.string(), sources: z.array(sourceSchema),
  query: z.string().nullable(), usage: usageSchema, status: z.enum(['complete', 'error']),
  error: z.object({error_code: z.string(), detail: z.string()}).nullable(), created_at: z.string(),
}).openapi('ChatMessage')
const page = {total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()}
const question = z.string().min(1).max(MAX_QUESTION_CHARS)
const statelessBody = z.object({
  question,
  history: z.array(z.object({role: z.enum(['user', 'assistant']), content: z.string().max(20_000)}).strict()).max(40).optional()
    .openapi({description: 'Earlier turns, oldest first (the caller keeps them)'}),
  ...settingsFields,
}).strict()
const answerSchema = z.object({answer: z.string(), sources: z.array(sourceSchema), usage: usageSchema, query: z.string()}).openapi('ChatAnswer')
const threadId = z.object({id: z.string().min(1).max(200).openapi({param: {name: 'id', in: 'path'}, description: 'thread id'})})
const body = <T extends z.ZodType>(schema: T) => ({body: {content: {'application/json': {schema}}, required: true}})
const sse = {description: 'text/event-stream: `sources`, many `token` ({content}), then `done` ({message_id, usage}) or `error`', content: {'text/event-stream': {schema: z.string()}}}

/** A turn's events as the spec's chat answer stream. */
async function* answerStream(turn: ChatTurn, signal: AbortSignal): AsyncIterable<{event: string; data: Record<string, unknown>}> {
  for await (const event of turn.events(signal)) yield wire(event)
}

function wire(event: ChatEvent): {event: string; data: Record<string, unknown>} {
  switch (event.type) {
    case 'sources': return {event: 'sources', data: {sources: event.sources, query: event.query}}
    case 'token': return {event: 'token', data: {content: event.content}}
    case 'done': return {event: 'done', data: {message_id: event.message_id, usage: event.usage}}
    default: return {event: 'error', data: {message_id: event.message_id, error_code: event.error_code, detail: event.detail, ...(event.hint ? {hint: event.hint} : {})}}
  }
}

/** docs/reference/server.md, "chat": threads and their messages (per identity), answers streamed as SSE, stateless complete/stream. */
export function registerChatRoutes(app: OpenAPIHono<AppEnv>, {runtime, options}: AppServices) {
  const base = `${API_PREFIX}/chat`
  const chat = createRuntimeChatService(runtime)
  const owner = (c: {get(key: 'identity'): {user: string} | undefined}) => c.get('identity')?.user ?? null

  app.openapi(createRoute({
    method: 'post', path: `${base}/threads`, tags: ['chat'], summary: 'Start a thread (settings apply to its questions)',
    request: body(z.object({title: z.string().max(200).optional(), ...settingsFields}).strict()),
    responses: {201: json(threadSchema, 'Created'), ...errors(400, 422)},
  }), async (c) => {
    const {title, ...settings} = c.req.valid('json')
    return c.json(await (await chat()).createThread({title, settings}, owner(c)), 201)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/threads`, tags: ['chat'], summary: 'Threads of the caller, most recently active first',
    request: {query: z.object(pageQuery)},
    responses: {200: json(z.object({threads: z.array(threadSchema), ...page})), ...errors(422)},
  }), async (c) => {
    const {items, ...rest} = await (await chat()).listThreads(c.req.valid('query'), owner(c))
    return c.json({threads: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/threads/{id}`, tags: ['chat'], summary: 'A thread',
    request: {params: threadId}, responses: {200: json(threadSchema), ...errors(404)},
  }), async (c) => c.json(await (await chat()).getThread(c.req.valid('param').id, owner(c)), 200))

  app.openapi(createRoute({
    method: 'delete', path: `${base}/threads/{id}`, tags: ['chat'], summary: 'Delete a thread and its messages',
    request: {params: threadId}, responses: {204: {description: 'Deleted'}, ...errors(404)},
  }), async (c) => {
    await (await chat()).deleteThread(c.req.valid('param').id, owner(c))
    return c.body(null, 204)
  })

  app.openapi(createRoute({
    method: 'get', path: `${base}/threads/{id}/messages`, tags: ['chat'], summary: 'Messages of a thread, oldest first; answers with their sources',
    request: {params: threadId, query: z.object(pageQuery)},
    responses: {200: json(z.object({messages: z.array(messageSchema), ...page})), ...errors(404, 422)},
  }), async (c) => {
    const {items, ...rest} = await (await chat()).listMessages(c.req.valid('param').id, c.req.valid('query'), owner(c))
    return c.json({messages: items, ...rest}, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${base}/threads/{id}/messages`, tags: ['chat'], summary: 'Ask in a thread: the answer streams as SSE and is stored',
    request: {params: threadId, ...body(z.object({content: question, ...settingsFields}).strict())},
    responses: {200: sse, ...errors(400, 404, 422)},
  }), async (c) => {
    const {content, ...settings} = c.req.valid('json')
    const turn = await (await chat()).ask(c.req.valid('param').id, {question: content, settings}, owner(c))
    return sseEventStream(c, (signal) => answerStream(turn, signal), options.heartbeatMs) as never
  })

  app.openapi(createRoute({
    method: 'post', path: `${base}/complete`, tags: ['chat'], summary: 'Answer one question without a thread (not streamed, nothing stored)',
    request: body(statelessBody), responses: {200: json(answerSchema), ...errors(400, 404, 422)},
  }), async (c) => {
    const {question: text, history, ...settings} = c.req.valid('json')
    const turn = await (await chat()).askStateless({question: text, history, settings})
    const result = await collectAnswer(turn, c.req.raw.signal)
    if (result.error !== undefined) {
      const {error_code: code, detail, hint} = result.error
      const ErrorClass = code === 'CHAT_ANSWER_CANCELLED' ? CancelledError : ExternalError
      throw new ErrorClass(code as ErrorCode, detail, hint ? {hint} : {})
    }
    return c.json({answer: result.answer, sources: result.sources, usage: result.usage, query: result.query}, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: `${base}/stream`, tags: ['chat'], summary: 'Answer one question without a thread, streamed as SSE (nothing stored)',
    request: body(statelessBody), responses: {200: sse, ...errors(400, 404, 422)},
  }), async (c) => {
    const {question: text, history, ...settings} = c.req.valid('json')
    const turn = await (await chat()).askStateless({question: text, history, settings})
    return sseEventStream(c, (signal) => answerStream(turn, signal), options.heartbeatMs) as never
  })
}
