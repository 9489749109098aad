import {describe, expect, it} from 'vitest'

import {LlmConcurrencyLimiter} from './aimd-limiter.js'

describe('LlmConcurrencyLimiter', () => {
  it('starts at max_concurrency and halves on a 429 down to the floor of 5', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 50})
    expect(limiter.limit).toBe(50)
    const limits: number[] = []
    for (let i = 0; i < 5; i++) {
      ;(await limiter.acquire())('rate_limited')
      limits.push(limiter.limit)
    }
    expect(limits).toEqual([25, 12, 6, 5, 5])
  })

  it('grows by one per success up to max_concurrency', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 50})
    ;(await limiter.acquire())('rate_limited')
    ;(await limiter.acquire())('success')
    ;(await limiter.acquire())('success')
    expect(limiter.limit).toBe(27)
    for (let i = 0; i < 40; i++) (await limiter.acquire())('success')
    expect(limiter.limit).toBe(50)
  })

  it('halves once for a burst of 429s from calls that were in flight together', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 40})
    const releases = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()])
    for (const release of releases) release('rate_limited')
    expect(limiter.limit).toBe(20)
  })

  it('queues callers beyond the limit and lets them in as slots free', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 2, min: 1})
    const first = await limiter.acquire()
    await limiter.acquire()
    let third = false
    const waiting = limiter.acquire().then((release) => { third = true; return release })
    await Promise.resolve()
    expect(third).toBe(false)
    expect(limiter.waiting).toBe(1)
    first('other')
    await waiting
    expect(third).toBe(true)
    expect(limiter.inFlight).toBe(2)
  })

  it('drops a waiter whose signal aborts, with an AbortError', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 1})
    await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({name: 'AbortError'})
    expect(limiter.waiting).toBe(0)
  })

  it('ignores a second release of the same slot', async () => {
    const limiter = new LlmConcurrencyLimiter({max: 10})
    const release = await limiter.acquire()
    release('rate_limited')
    release('rate_limited')
    expect(limiter.limit).toBe(5)
    expect(limiter.inFlight).toBe(0)
  })
})
