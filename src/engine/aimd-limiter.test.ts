import {describe, expect, it} from 'vitest'

import {AimdLimiter} from './aimd-limiter.js'

describe('AimdLimiter', () => {
  it('hands out slots up to its limit and queues the rest', async () => {
    const limiter = new AimdLimiter({initial: 2, min: 1, max: 2, targetLatencyMs: 100})
    expect(limiter.acquire()).toBeUndefined()
    expect(limiter.acquire()).toBeUndefined()
    const third = limiter.acquire()
    expect(third).toBeInstanceOf(Promise)
    limiter.release(10)
    await third
    expect(limiter.inFlight).toBe(2)
  })

  it('halves the limit when latency passes the target and grows it back additively', () => {
    const limiter = new AimdLimiter({initial: 16, min: 1, max: 16, targetLatencyMs: 50})
    limiter.acquire()
    limiter.release(500)
    expect(limiter.limit).toBe(8)
    for (let i = 0; i < 200; i++) {
      limiter.acquire()
      limiter.release(1)
    }
    expect(limiter.limit).toBeGreaterThan(8)
    expect(limiter.limit).toBeLessThanOrEqual(16)
  })

  it('never goes below its floor', () => {
    const limiter = new AimdLimiter({initial: 2, min: 1, max: 4, targetLatencyMs: 1})
    for (let i = 0; i < 5; i++) {
      limiter.acquire()
      limiter.release(1000)
    }
    expect(limiter.limit).toBeGreaterThanOrEqual(1)
  })

  it('lends a free slot at once and refuses when none is free, without queueing', async () => {
    const limiter = new AimdLimiter({initial: 2, min: 1, max: 2, targetLatencyMs: 100})
    expect(limiter.tryAcquire()).toBe(true)
    expect(limiter.tryAcquire()).toBe(true)
    expect(limiter.tryAcquire()).toBe(false)
    const waiting = limiter.acquire()
    limiter.release()
    await waiting
    // The freed slot went to the waiter, not to a later tryAcquire.
    expect(limiter.tryAcquire()).toBe(false)
    expect(limiter.inFlight).toBe(2)
  })
})
