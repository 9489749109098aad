import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {CircuitBreaker, type CircuitState} from './circuit-breaker.js'

describe('CircuitBreaker', () => {
  it('opens after consecutive retryable failures, holds callers while open, and closes after a good trial', async () => {
    const states: CircuitState[] = []
    const breaker = new CircuitBreaker({failureThreshold: 3, cooldownMs: 50, onStateChange: (s) => states.push(s)})
    for (let i = 0; i < 3; i++) breaker.recordFailure()
    expect(breaker.current).toBe('open')
    let released = 0
    const waiting = [breaker.acquire(), breaker.acquire()]
    for (const w of waiting) void w?.then(() => released++)
    await sleep(10)
    expect(released).toBe(0)
    await sleep(60)
    // Half-open: exactly one trial went through.
    expect(breaker.current).toBe('half_open')
    expect(released).toBe(1)
    breaker.recordSuccess()
    await sleep(0)
    expect(released).toBe(2)
    expect(states).toEqual(['open', 'half_open', 'closed'])
  })

  it('re-opens when the trial call fails', async () => {
    const breaker = new CircuitBreaker({failureThreshold: 1, cooldownMs: 20})
    breaker.recordFailure()
    await sleep(30)
    expect(breaker.acquire()).toBeUndefined()
    breaker.recordFailure()
    expect(breaker.current).toBe('open')
    breaker.dispose()
  })

  it('does not count terminal failures', () => {
    const breaker = new CircuitBreaker({failureThreshold: 2, cooldownMs: 20})
    breaker.recordFailure(false)
    breaker.recordFailure(false)
    breaker.recordFailure(false)
    expect(breaker.current).toBe('closed')
  })

  it('rejects a waiting caller whose signal aborts', async () => {
    const breaker = new CircuitBreaker({failureThreshold: 1, cooldownMs: 10_000})
    breaker.recordFailure()
    const controller = new AbortController()
    const wait = breaker.acquire(controller.signal)!
    controller.abort(new Error('stop'))
    await expect(wait).rejects.toThrow('stop')
    breaker.dispose()
  })
})
