import {describe, expect, it} from 'vitest'

import {ExternalError} from '../errors/index.js'
import {llmHttpError} from './llm-errors.js'
import {retryDelay, withLlmRetry} from './retry.js'

const half = () => 0.5

describe('retryDelay', () => {
  it('backs off exponentially with jitter between half and all of the step', () => {
    const error = llmHttpError('p', 503, 'down')
    expect([1, 2, 3, 4].map((attempt) => retryDelay(error, attempt, {baseDelayMs: 100, random: half}))).toEqual([75, 150, 300, 600])
    expect(retryDelay(error, 1, {baseDelayMs: 100, random: () => 0})).toBe(50)
    expect(retryDelay(error, 10, {baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999})).toBeUndefined()
    expect(retryDelay(error, 6, {baseDelayMs: 100, maxDelayMs: 1000, random: () => 0})).toBe(500)
  })

  it('waits at least the Retry-After of a 429', () => {
    const error = llmHttpError('p', 429, 'slow down', new Headers({'retry-after': '3'}))
    expect(error.details).toMatchObject({retry_after_ms: 3000, llm_error: 'rate_limited'})
    expect(retryDelay(error, 1, {baseDelayMs: 100, random: half})).toBe(3000)
  })

  it('leaves a Retry-After beyond maxRetryAfterMs to the engine', () => {
    const error = llmHttpError('p', 429, 'slow down', new Headers({'retry-after': '600'}))
    expect(retryDelay(error, 1)).toBeUndefined()
  })

  it('never retries terminal errors, cancellation, or past the last attempt', () => {
    expect(retryDelay(llmHttpError('p', 400, 'bad'), 1)).toBeUndefined()
    expect(retryDelay(Object.assign(new Error('x'), {name: 'AbortError'}), 1)).toBeUndefined()
    expect(retryDelay(llmHttpError('p', 500, 'x'), 7)).toBeUndefined()
    expect(retryDelay(llmHttpError('p', 500, 'x'), 6)).toBeTypeOf('number')
  })
})

describe('withLlmRetry', () => {
  it('makes up to 7 attempts and throws the last error', async () => {
    let calls = 0
    const error = await withLlmRetry(async () => { calls++; throw new ExternalError('LLM_HTTP_502', 'x', {retryable: true}) }, {baseDelayMs: 1}).catch((caught: unknown) => caught)
    expect(calls).toBe(7)
    expect(error).toMatchObject({code: 'LLM_HTTP_502'})
  })

  it('returns as soon as an attempt succeeds', async () => {
    let calls = 0
    const result = await withLlmRetry(async (attempt) => {
      calls++
      if (attempt < 3) throw llmHttpError('p', 500, 'x')
      return 'ok'
    }, {baseDelayMs: 1})
    expect([result, calls]).toEqual(['ok', 3])
  })
})
