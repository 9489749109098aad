import {describe, expect, it} from 'vitest'

import {DomainThrottle} from './domain-throttle.js'

const signal = () => new AbortController().signal

describe('DomainThrottle', () => {
  it('lets at most `limit` requests run at once and wakes a waiter when one finishes', async () => {
    const throttle = new DomainThrottle({initialConcurrency: 2})
    const first = await throttle.acquire(signal(), 1000)
    await throttle.acquire(signal(), 1000)
    let third = false
    const pending = throttle.acquire(signal(), 1000).then((release) => {
      third = true
      return release
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(third).toBe(false)
    first({status: 200, latencyMs: 10})
    await pending
    expect(third).toBe(true)
    expect(throttle.inFlight).toBe(2)
  })

  it('grows by about one per window of fast answers, up to the maximum', async () => {
    const throttle = new DomainThrottle({initialConcurrency: 2, maxConcurrency: 3})
    for (let i = 0; i < 10; i++) (await throttle.acquire(signal(), 1000))({status: 200, latencyMs: 5})
    expect(throttle.limit).toBe(3)
  })

  it('halves on a 429, once per burst, and pauses for Retry-After', async () => {
    let now = 0
    const throttle = new DomainThrottle({initialConcurrency: 8, now: () => now})
    const releases = [await throttle.acquire(signal(), 1000), await throttle.acquire(signal(), 1000)]
    releases[0]!({status: 429, retryAfterMs: 2000})
    releases[1]!({status: 429, retryAfterMs: 500})
    expect(throttle.limit).toBe(4)
    expect(throttle.pausedForMs).toBe(2000)
    now = 1500
    expect(throttle.pausedForMs).toBe(500)
  })

  it('halves on a slow answer and on a timeout, never below the minimum', async () => {
    let now = 0
    const throttle = new DomainThrottle({initialConcurrency: 4, slowResponseMs: 100, now: () => now})
    ;(await throttle.acquire(signal(), 1000))({status: 200, latencyMs: 500})
    expect(throttle.limit).toBe(2)
    now += 2000
    ;(await throttle.acquire(signal(), 1000))({timedOut: true})
    expect(throttle.limit).toBe(1)
    now += 2000
    ;(await throttle.acquire(signal(), 1000))({status: 503})
    expect(throttle.limit).toBe(1)
  })

  it('pauses for a default second after a 429 without Retry-After, not after a bare 503', async () => {
    const throttle = new DomainThrottle({defaultPauseMs: 1000})
    ;(await throttle.acquire(signal(), 5000))({status: 503})
    expect(throttle.pausedForMs).toBe(0)
    ;(await throttle.acquire(signal(), 5000))({status: 429})
    expect(throttle.pausedForMs).toBeGreaterThan(900)
  })

  it('makes a request wait out a pause shorter than its allowance', async () => {
    const throttle = new DomainThrottle()
    throttle.pause(200)
    const started = Date.now()
    await throttle.acquire(signal(), 1000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('refuses with retryable RATE_LIMITED when the pause is longer than the allowance', async () => {
    const throttle = new DomainThrottle()
    throttle.pause(60_000)
    await expect(throttle.acquire(signal(), 1000)).rejects.toMatchObject({code: 'RATE_LIMITED', retryable: true})
  })

  it('spaces request starts by the minimum interval', async () => {
    const throttle = new DomainThrottle({initialConcurrency: 4})
    throttle.setMinInterval(150)
    const started = Date.now()
    ;(await throttle.acquire(signal(), 1000))({status: 200})
    ;(await throttle.acquire(signal(), 1000))({status: 200})
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('rejects a waiter with AbortError when its signal fires', async () => {
    const throttle = new DomainThrottle({initialConcurrency: 1})
    await throttle.acquire(signal(), 1000)
    const controller = new AbortController()
    const pending = throttle.acquire(controller.signal, 1000)
    controller.abort()
    await expect(pending).rejects.toMatchObject({name: 'AbortError'})
  })

  it('ignores a second release of the same slot', async () => {
    const throttle = new DomainThrottle()
    const release = await throttle.acquire(signal(), 1000)
    release({status: 200})
    release({status: 200})
    expect(throttle.inFlight).toBe(0)
  })
})
