import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {NOTHING_FOUND} from '../../src/chat/chat-prompt.js'
import {type ChatEvent, collectAnswer, createChatService} from '../../src/chat/chat-service.js'
import type {Database} from '../../src/db/types.js'
import {createLlmClients} from '../../src/llm/create-chat-client.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'
import {openSearchCorpus} from '../search/corpus.js'

let db: Database
let fake: FakeLlmServer
let chat: ReturnType<typeof createChatService>

/** The model's answer to an answer prompt; a rewrite prompt gets `rewrite`. */
let answerWith = 'Run npm install -g factflow [1]; passage [9] does not exist.'
const rewrite = 'upgrading factflow'

beforeAll(async () => {
  ({db} = await openSearchCorpus())
  fake = await startFakeLlmServer({
    chunkSize: 3,
    respond: (request) => (request.system?.startsWith('You turn the last question') ? rewrite : answerWith),
  })
  const profiles = resolveProfiles({llm: {providers: [
    {name: 'compat', provider_type: 'openai_compatible', base_url: fake.openaiBaseUrl, model: 'fake-model'},
    {name: 'claude', provider_type: 'anthropic', base_url: fake.url, api_key: 'sk-ant-secret-key', model: 'fake-claude'},
  ]}}, {})
  const {createSearchService} = await import('../../src/search/search-service.js')
  const {embedderFor} = await import('../search/corpus.js')
  chat = createChatService({
    database: db, search: createSearchService({database: db, embedderFor}),
    llm: createLlmClients(profiles, {retry: {baseDelayMs: 1, maxDelayMs: 5}}),
  })
}, 60_000)
afterAll(async () => {
  await db?.close()
  await fake?.close()
})
beforeEach(() => {
  fake.reset()
  answerWith = 'Run npm install -g factflow [1]; passage [9] does not exist.'
})

async function events(turn: {events(): AsyncIterable<ChatEvent>}): Promise<ChatEvent[]> {
  const out: ChatEvent[] = []
  for await (const event of turn.events()) out.push(event)
  return out
}

describe('the chat service', () => {
  it('answers offline with the local profile: the best sentences of the retrieved passages, each cited, stored with its sources', async () => {
    const thread = await chat.createThread({settings: {profile: 'local'}}, null)
    const turn = await chat.ask(thread.id, {question: 'How do I install factflow?'}, null)
    const answer = await collectAnswer(turn)
    expect(answer.sources[0]).toMatchObject({index: 1, url: 'https://docs.test/install'})
    expect(answer.answer).toMatch(/npm install -g factflow.*\[1\]/)
    for (const cited of answer.answer.matchAll(/\[(\d+)\]/g)) expect(Number(cited[1])).toBeLessThanOrEqual(answer.sources.length)
    expect(fake.requestCount).toBe(0)

    const reopened = await chat.listMessages(thread.id, {}, null)
    expect(reopened.items.map((m) => m.role)).toEqual(['user', 'assistant'])
    expect(reopened.items[1]).toMatchObject({id: answer.message_id, content: answer.answer, status: 'complete'})
    expect(reopened.items[1]!.sources).toEqual(answer.sources)
    expect((await chat.getThread(thread.id, null)).title).toBe('How do I install factflow?')
  })

  it('says that nothing relevant was found instead of asking a model to guess', async () => {
    const thread = await chat.createThread({settings: {profile: 'compat'}}, null)
    const answer = await collectAnswer(await chat.ask(thread.id, {question: 'What is the capital of France?'}, null))
    expect(answer.sources).toEqual([])
    expect(answer.answer).toBe(NOTHING_FOUND)
    expect(fake.requestCount).toBe(0)
  })

  it('makes a follow-up question standalone before retrieval (offline: with the previous question)', async () => {
    const thread = await chat.createThread({settings: {profile: 'local'}}, null)
    await collectAnswer(await chat.ask(thread.id, {question: 'How do I install factflow?'}, null))
    const followUp = await chat.ask(thread.id, {question: 'and how do I undo it?'}, null)
    expect(followUp.query).toBe('How do I install factflow? and how do I undo it?')
    expect(followUp.sources.map((source) => source.url)).toContain('https://docs.test/install')
    await collectAnswer(followUp)
    // Alone, the follow-up shares no word with any passage.
    const alone = await chat.askStateless({question: 'and how do I undo it?', settings: {profile: 'local'}})
    expect(alone.sources).toEqual([])
  })

  it('streams a model\'s answer token by token through the real OpenAI SDK, dropping citations of passages not retrieved, with usage', async () => {
    const thread = await chat.createThread({settings: {profile: 'compat', limit: 3}}, null)
    const all = await events(await chat.ask(thread.id, {question: 'How do I install factflow?'}, null))
    expect(all[0]!.type).toBe('sources')
    const tokens = all.filter((e) => e.type === 'token')
    expect(tokens.length).toBeGreaterThan(5)
    const done = all.at(-1)!
    expect(done).toMatchObject({type: 'done', answer: 'Run npm install -g factflow [1]; passage  does not exist.'})
    expect(done.type === 'done' && done.usage).toMatchObject({input_tokens: expect.any(Number), output_tokens: expect.any(Number)})
    const request = fake.requests.at(-1)!.body as {messages: Array<{role: string; content: string}>}
    expect(request.messages[0]!.content).toMatch(/\[1\] .*\(https:\/\/docs\.test\/install\)\nInstalling factflow/)
  })

  it('rewrites a follow-up with the model, and puts the earlier turn into the prompt', async () => {
    const thread = await chat.createThread({settings: {profile: 'compat'}}, null)
    await collectAnswer(await chat.ask(thread.id, {question: 'How do I install factflow?'}, null))
    answerWith = 'Install the newer release over the old one [1].'
    const followUp = await chat.ask(thread.id, {question: 'and later, how do I move to a new version of it?'}, null)
    expect(followUp.query).toBe('upgrading factflow')
    expect(followUp.sources.map((source) => source.text)).toContainEqual(expect.stringMatching(/^Upgrading/))
    await collectAnswer(followUp)
    const prompt = fake.requests.at(-1)!.body as {messages: Array<{role: string; content: string}>}
    expect(prompt.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user'])
    expect(prompt.messages[1]!.content).toBe('How do I install factflow?')
  })

  it('retries a 429 before the first token, then answers', async () => {
    const thread = await chat.createThread({settings: {profile: 'claude'}}, null)
    fake.failNext({status: 429, retryAfterMs: 5})
    const answer = await collectAnswer(await chat.ask(thread.id, {question: 'Which brokers speak STOMP?'}, null))
    expect(answer.error).toBeUndefined()
    expect(answer.answer).toContain('[1]')
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200])
  })

  it.each(['compat', 'claude'])('ends an answer cleanly when the provider fails mid-stream (%s), keeping what was said', async (profile) => {
    const thread = await chat.createThread({settings: {profile}}, null)
    fake.failNext({midStreamErrorAfterChunks: 4})
    const all = await events(await chat.ask(thread.id, {question: 'How do I install factflow?'}, null))
    const last = all.at(-1)!
    expect(last.type).toBe('error')
    const said = all.filter((e) => e.type === 'token').map((e) => (e.type === 'token' ? e.content : '')).join('')
    expect(said).toBe('Run npm inst')
    const stored = (await chat.listMessages(thread.id, {}, null)).items[1]!
    expect(stored).toMatchObject({status: 'error', content: said})
    expect(stored.error!.error_code).toMatch(/^LLM_/)
    expect(JSON.stringify(stored)).not.toContain('sk-ant-secret-key')
  })

  it('keeps threads per identity: another identity (or none) does not see them', async () => {
    const mine = await chat.createThread({title: 'alice notes', settings: {profile: 'local'}}, 'alice')
    expect((await chat.listThreads({}, 'alice')).items.map((t) => t.id)).toContain(mine.id)
    expect((await chat.listThreads({}, 'bob')).items.map((t) => t.id)).not.toContain(mine.id)
    await expect(chat.getThread(mine.id, 'bob')).rejects.toMatchObject({code: 'CHAT_THREAD_NOT_FOUND'})
    await expect(chat.ask(mine.id, {question: 'x'}, null)).rejects.toMatchObject({code: 'CHAT_THREAD_NOT_FOUND'})
    await chat.deleteThread(mine.id, 'alice')
    await expect(chat.getThread(mine.id, 'alice')).rejects.toMatchObject({code: 'CHAT_THREAD_NOT_FOUND'})
  })

  it('refuses an empty question, an unknown thread or profile before storing anything', async () => {
    const thread = await chat.createThread({}, null)
    await expect(chat.ask(thread.id, {question: '   '}, null)).rejects.toMatchObject({code: 'CHAT_QUESTION_EMPTY'})
    await expect(chat.ask(thread.id, {question: 'hi', settings: {profile: 'nope'}}, null)).rejects.toMatchObject({code: 'LLM_PROFILE_UNKNOWN'})
    await expect(chat.ask('not-a-uuid', {question: 'hi'}, null)).rejects.toMatchObject({code: 'CHAT_THREAD_NOT_FOUND'})
    expect((await chat.listMessages(thread.id, {}, null)).total).toBe(0)
  })

  it('answers without a thread, storing nothing', async () => {
    const before = await db.query<{n: number}>('SELECT count(*)::int AS n FROM chat_messages')
    const answer = await collectAnswer(await chat.askStateless({question: 'Which brokers speak STOMP?', settings: {profile: 'local'}}))
    expect(answer).toMatchObject({thread_id: null, message_id: null})
    expect(answer.answer).toMatch(/RabbitMQ speaks AMQP and STOMP.*\[1\]/)
    expect((await db.query<{n: number}>('SELECT count(*)::int AS n FROM chat_messages')).rows[0]!.n).toBe(before.rows[0]!.n)
  })
})
