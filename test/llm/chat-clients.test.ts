import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {ExternalError, UnavailableError} from '../../src/errors/index.js'
import type {ChatClient} from '../../src/llm/chat-client.js'
import {createChatClient} from '../../src/llm/create-chat-client.js'
import {LOCAL_NOTE} from '../../src/llm/local-chat-client.js'
import {type LlmProfile, llmProfileSchema, resolveProfiles} from '../../src/llm/settings.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

let server: FakeLlmServer
const fastRetry = {baseDelayMs: 5, maxDelayMs: 20}

beforeAll(async () => {
  server = await startFakeLlmServer({respond: (request) => `${request.api}:${request.system ?? ''}|${request.messages.at(-1)?.content.toUpperCase()}`})
})
afterAll(() => server.close())
beforeEach(() => server.reset())

function openaiProfile(extra: Partial<LlmProfile> = {}): LlmProfile {
  return llmProfileSchema.parse({name: 'oa', provider_type: 'openai', model: 'gpt-test', api_key: 'sk-test', base_url: server.openaiBaseUrl, timeout: 5, ...extra})
}

function anthropicProfile(): LlmProfile {
  return llmProfileSchema.parse({name: 'claude', provider_type: 'anthropic', model: 'claude-test', api_key: 'sk-ant', base_url: server.url, timeout: 5})
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const delta of stream) out.push(delta)
  return out
}

describe.each([
  ['OpenAI Chat Completions', openaiProfile, 'openai'],
  ['Anthropic Messages', anthropicProfile, 'anthropic'],
] as const)('%s through the real SDK', (_name, profile, api) => {
  let client: ChatClient
  beforeAll(async () => { client = await createChatClient(profile(), {retry: fastRetry}) })

  it('completes a chat with the system prompt and reports usage', async () => {
    const result = await client.complete({system: 'be brief', messages: [{role: 'user', content: 'hello world'}], maxTokens: 50, temperature: 0})
    expect(result.text).toBe(`${api}:be brief|HELLO WORLD`)
    expect(result.usage?.outputTokens).toBeGreaterThan(0)
    expect(server.requestCount).toBe(1)
  })

  it('streams the answer in several deltas that add up to the whole text', async () => {
    const deltas = await collect(client.stream({messages: [{role: 'user', content: 'stream me please'}]}))
    expect(deltas.length).toBeGreaterThan(2)
    expect(deltas.join('')).toBe(`${api}:|STREAM ME PLEASE`)
  })

  it('retries a 5xx and then succeeds', async () => {
    server.failNext({status: 500})
    server.failNext({status: 503})
    const result = await client.complete({messages: [{role: 'user', content: 'again'}]})
    expect(result.text).toBe(`${api}:|AGAIN`)
    expect(server.requests.map((request) => request.status)).toEqual([500, 503, 200])
  })

  it('does not retry a 400 and throws a terminal LLM_HTTP_400', async () => {
    server.failNext({status: 400, message: 'bad parameter'})
    const error = await client.complete({messages: [{role: 'user', content: 'x'}]}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExternalError)
    expect(error).toMatchObject({code: 'LLM_HTTP_400', retryable: false})
    expect((error as Error).message).toContain('bad parameter')
    expect(server.requestCount).toBe(1)
  })

  it('honours Retry-After on a 429 before trying again', async () => {
    server.failNext({status: 429, retryAfterSeconds: 1})
    const started = Date.now()
    const result = await client.complete({messages: [{role: 'user', content: 'later'}]})
    expect(result.text).toBe(`${api}:|LATER`)
    const [first, second] = server.requests
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('retries a stream that fails before its first delta', async () => {
    server.failNext({status: 503})
    expect((await collect(client.stream({messages: [{role: 'user', content: 'ok'}]}))).join('')).toBe(`${api}:|OK`)
    expect(server.requestCount).toBe(2)
  })
})

describe('the retry and limiter layer', () => {
  it('gives up after 7 attempts with the rate-limit error and its retry_after_ms for the engine', async () => {
    server.failNext({status: 429, retryAfterMs: 10}, 7)
    const client = await createChatClient(openaiProfile(), {retry: fastRetry})
    const error = await client.complete({messages: [{role: 'user', content: 'x'}]}).catch((caught: unknown) => caught)
    expect(error).toMatchObject({code: 'LLM_RATE_LIMITED', retryable: true, details: {retry_after_ms: 10, llm_error: 'rate_limited'}})
    expect(server.requestCount).toBe(7)
  })

  it('halves the profile\'s concurrency on a 429 and grows it again on success', async () => {
    const client = await createChatClient(openaiProfile({max_concurrency: 40}), {retry: fastRetry})
    expect(client.limiter.limit).toBe(40)
    server.failNext({status: 429, retryAfterMs: 1})
    await client.complete({messages: [{role: 'user', content: 'x'}]})
    // 40 → 20 on the 429, then +1 for the successful retry.
    expect(client.limiter.limit).toBe(21)
    await client.complete({messages: [{role: 'user', content: 'y'}]})
    expect(client.limiter.limit).toBe(22)
  })

  it('never has more calls in flight than the profile\'s concurrency limit', async () => {
    server.failNext({delayMs: 250}, 12)
    const client = await createChatClient(openaiProfile({max_concurrency: 5}), {retry: fastRetry})
    const answers = await Promise.all(Array.from({length: 12}, (_, i) => client.complete({messages: [{role: 'user', content: `q${i}`}]})))
    expect(answers.map((answer) => answer.text)).toContain('openai:|Q11')
    expect(server.maxInFlight).toBe(5)
  })

  it('retries a call that times out as LLM_TIMEOUT', async () => {
    server.failNext({delayMs: 1500})
    const client = await createChatClient(openaiProfile({timeout: 0.3}), {retry: fastRetry})
    expect((await client.complete({messages: [{role: 'user', content: 'slow'}]})).text).toBe('openai:|SLOW')
    expect(server.requestCount).toBe(2)
    const failing = await createChatClient(openaiProfile({timeout: 0.3}), {retry: {...fastRetry, maxAttempts: 1}})
    server.failNext({delayMs: 1500})
    await expect(failing.complete({messages: [{role: 'user', content: 'slow'}]})).rejects.toMatchObject({code: 'LLM_TIMEOUT', retryable: true})
  })

  it('retries a malformed JSON answer', async () => {
    server.failNext({malformedJson: true})
    const client = await createChatClient(openaiProfile(), {retry: fastRetry})
    expect((await client.complete({messages: [{role: 'user', content: 'fine'}]})).text).toBe('openai:|FINE')
    expect(server.requestCount).toBe(2)
  })

  it('reports an unreachable endpoint as a retryable LLM_UNREACHABLE after its attempts', async () => {
    const client = await createChatClient(openaiProfile({base_url: 'http://127.0.0.1:9/v1'}), {retry: {...fastRetry, maxAttempts: 2}})
    const error = await client.complete({messages: [{role: 'user', content: 'x'}]}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error).toMatchObject({code: 'LLM_UNREACHABLE', retryable: true})
  })

  it('rejects with an AbortError when cancelled while waiting to retry', async () => {
    server.failNext({status: 429, retryAfterSeconds: 30})
    const client = await createChatClient(openaiProfile(), {retry: {...fastRetry, maxRetryAfterMs: 60_000}})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const error = await client.complete({messages: [{role: 'user', content: 'x'}], signal: controller.signal}).catch((caught: unknown) => caught)
    expect(error).toMatchObject({name: 'AbortError'})
    expect(server.requestCount).toBe(1)
  })

  it('talks to an OpenAI-compatible server without a key and to Azure by deployment', async () => {
    const compatible = await createChatClient(llmProfileSchema.parse({name: 'ollama', provider_type: 'openai_compatible', base_url: server.openaiBaseUrl, model: 'llama'}))
    expect((await compatible.complete({messages: [{role: 'user', content: 'hi'}]})).text).toBe('openai:|HI')
    const azure = await createChatClient(llmProfileSchema.parse({name: 'az', provider_type: 'azure', base_url: server.url, api_key: 'k', model: 'gpt-4o', deployment: 'prod-4o'}))
    expect((await azure.complete({messages: [{role: 'user', content: 'hi'}]})).text).toBe('openai:|HI')
    expect(server.requests.at(-1)!.path).toMatch(/^\/openai\/deployments\/prod-4o\/chat\/completions\?api-version=/)
  })
})

describe('the local profile', () => {
  it('answers offline by quoting the input and says so', async () => {
    const profiles = resolveProfiles(undefined, {})
    const client = await createChatClient(profiles.get('default')!)
    expect(client.profile.provider_type).toBe('local')
    const result = await client.complete({system: 'translate', messages: [{role: 'user', content: 'Hallo Welt'}]})
    expect(result).toMatchObject({text: 'Hallo Welt', note: LOCAL_NOTE})
    expect((await collect(client.stream({messages: [{role: 'user', content: 'Hallo'}]}))).join('')).toBe('Hallo')
  })
})
