import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCorpus} from '../search/corpus.js'
import {startTestServer, type TestServer} from './server-harness.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
type Event = {id: string; event: string; data: any}

/** The SSE blocks of a finished stream. */
function parseSse(text: string): Event[] {
  return text.split('\n\n').filter((block) => block.trim() !== '' && !block.startsWith(':')).map((block) => {
    const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? ''
    return {id: field('id'), event: field('event'), data: JSON.parse(field('data'))}
  })
}

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
  await loadCorpus((await server.runtime.store()).db)
}, 120_000)
afterAll(async () => {
  await server?.close()
})

async function post(url: string, body: unknown): Promise<{status: number; type: string; text: string}> {
  const response = await server.app.request(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
  return {status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text()}
}

describe('the chat API', () => {
  it('creates a thread, streams an answer as SSE (sources, tokens, done), and keeps it with its sources', async () => {
    const created = await server.call('POST', '/api/v1/chat/threads', {title: 'install', profile: 'local', limit: 3})
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({title: 'install', owner: null, settings: {profile: 'local', limit: 3}, message_count: 0})
    const id = created.body.id as string

    const reply = await post(`/api/v1/chat/threads/${id}/messages`, {content: 'How do I install factflow?'})
    expect(reply.status).toBe(200)
    expect(reply.type).toMatch(/^text\/event-stream/)
    const events = parseSse(reply.text)
    expect(events[0]!.event).toBe('sources')
    expect(events[0]!.data.sources[0]).toMatchObject({index: 1, url: 'https://docs.test/install'})
    const tokens = events.filter((e) => e.event === 'token')
    expect(tokens.length).toBeGreaterThan(3)
    const done = events.at(-1)!
    expect(done).toMatchObject({event: 'done', data: {message_id: expect.any(String), usage: null}})
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort())
    const answer = tokens.map((e) => e.data.content).join('')
    expect(answer).toMatch(/npm install -g factflow.*\[1\]/)

    const messages = await server.call('GET', `/api/v1/chat/threads/${id}/messages`)
    expect(messages.status).toBe(200)
    expect(messages.body).toMatchObject({total: 2, limit: 100, offset: 0, has_more: false})
    expect(messages.body.messages[1]).toMatchObject({id: done.data.message_id, role: 'assistant', content: answer, status: 'complete', sources: events[0]!.data.sources})

    const listed = await server.call('GET', '/api/v1/chat/threads?limit=1')
    expect(listed.body).toMatchObject({limit: 1, offset: 0, threads: [{id, message_count: 2}]})
    expect((await server.call('GET', `/api/v1/chat/threads/${id}`)).body).toMatchObject({id, message_count: 2})
    expect((await server.call('DELETE', `/api/v1/chat/threads/${id}`)).status).toBe(204)
    expect((await server.call('GET', `/api/v1/chat/threads/${id}/messages`)).status).toBe(404)
  })

  it('answers without a thread: /chat/complete as JSON, /chat/stream as SSE, storing nothing', async () => {
    const complete = await server.call('POST', '/api/v1/chat/complete', {question: 'Which brokers speak STOMP?', profile: 'local'})
    expect(complete.status).toBe(200)
    expect(complete.body).toMatchObject({answer: expect.stringMatching(/STOMP.*\[1\]/), sources: [{index: 1, url: 'https://docs.test/queues'}], usage: null})
    const nothing = await server.call('POST', '/api/v1/chat/complete', {question: 'What is the capital of France?', profile: 'local'})
    expect(nothing.body).toMatchObject({sources: [], answer: expect.stringMatching(/could not find anything/)})

    const stream = await post('/api/v1/chat/stream', {question: 'and how do I upgrade it?', profile: 'local', history: [
      {role: 'user', content: 'How do I install factflow?'}, {role: 'assistant', content: 'Run npm install -g factflow [1].'},
    ]})
    const events = parseSse(stream.text)
    expect(events[0]).toMatchObject({event: 'sources', data: {query: 'How do I install factflow? and how do I upgrade it?'}})
    expect(events.at(-1)).toMatchObject({event: 'done', data: {message_id: null}})
    const {db} = await server.runtime.store()
    expect((await db.query<{n: number}>('SELECT count(*)::int AS n FROM chat_messages')).rows[0]!.n).toBe(0)
  })

  it('answers 404 for a thread that does not exist (or is not a UUID), before storing anything', async () => {
    for (const id of ['00000000-0000-7000-8000-000000000000', 'not-a-thread']) {
      for (const [method, path, body] of [['GET', '', undefined], ['DELETE', '', undefined], ['GET', '/messages', undefined], ['POST', '/messages', {content: 'hi'}]] as const) {
        const reply = await server.call(method, `/api/v1/chat/threads/${id}${path}`, body)
        expect(reply.status, `${method} ${id}${path}`).toBe(404)
        expect(reply.body.error_code).toBe('CHAT_THREAD_NOT_FOUND')
      }
    }
  })

  it('answers 422 with loc/msg/type for bodies that fail their schema, and 400 for an unknown profile', async () => {
    const thread = (await server.call('POST', '/api/v1/chat/threads', {})).body.id as string
    const cases: Array<[string, string, unknown]> = [
      ['/api/v1/chat/threads', 'an unknown field', {title: 'x', admin: true}],
      ['/api/v1/chat/threads', 'limit 0', {limit: 0}],
      [`/api/v1/chat/threads/${thread}/messages`, 'no content', {}],
      [`/api/v1/chat/threads/${thread}/messages`, 'empty content', {content: ''}],
      ['/api/v1/chat/complete', 'history of the wrong shape', {question: 'x', history: [{role: 'system', content: 'x'}]}],
      ['/api/v1/chat/stream', 'no question', {profile: 'local'}],
    ]
    for (const [url, what, body] of cases) {
      const reply = await server.call('POST', url, body)
      expect(reply.status, what).toBe(422)
      expect(reply.body.detail[0], what).toMatchObject({loc: expect.any(Array), msg: expect.any(String), type: expect.any(String)})
    }
    const unknown = await server.call('POST', '/api/v1/chat/threads', {profile: 'no-such-profile'})
    expect(unknown.status).toBe(400)
    expect(unknown.body.error_code).toBe('LLM_PROFILE_UNKNOWN')
    expect((await server.call('GET', `/api/v1/chat/threads/${thread}/messages`)).body.total).toBe(0)
  })

  it('documents every chat operation in /openapi.json', async () => {
    const doc = (await server.call('GET', '/openapi.json')).body
    expect(Object.keys(doc.paths).filter((p: string) => p.startsWith('/api/v1/chat')).sort()).toEqual([
      '/api/v1/chat/complete', '/api/v1/chat/stream', '/api/v1/chat/threads', '/api/v1/chat/threads/{id}', '/api/v1/chat/threads/{id}/messages',
    ])
    expect(Object.keys(doc.paths['/api/v1/chat/threads/{id}']).sort()).toEqual(['delete', 'get'])
  })
})
