import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {AimdLimiter} from './aimd-limiter.js'
import {FanOutPool} from './fan-out-pool.js'

/** A route limiter with `slots` slots, one of them already held by the parent message. */
function parentHolding(slots: number): AimdLimiter {
  const limiter = new AimdLimiter({initial: slots, min: 1, max: slots, targetLatencyMs: 10_000})
  limiter.acquire()
  return limiter
}

describe('FanOutPool', () => {
  it('runs elements on the parent\'s slot plus the free ones, and gives every borrowed slot back', async () => {
    const limiter = parentHolding(3)
    let active = 0
    let peak = 0
    const done: number[] = []
    const pool = new FanOutPool<number>({
      run: async (n) => {
        active++
        peak = Math.max(peak, active)
        await sleep(2)
        active--
        done.push(n)
      },
      slots: limiter, signal: new AbortController().signal, maxWorkers: 3, highWater: 16,
    })
    for (let i = 0; i < 12; i++) pool.push(i)
    await pool.run()
    expect(done.sort((a, b) => a - b)).toEqual([...Array(12).keys()])
    expect(peak).toBe(3)
    expect(limiter.inFlight).toBe(1)
  })

  it('progresses on the parent\'s own slot when the route has none free (no deadlock)', async () => {
    const limiter = parentHolding(1)
    const done: number[] = []
    const pool = new FanOutPool<number>({
      run: async (n) => { done.push(n) }, slots: limiter, signal: new AbortController().signal, maxWorkers: 1, highWater: 16,
    })
    for (let i = 0; i < 5; i++) pool.push(i)
    await pool.run()
    expect(done).toEqual([0, 1, 2, 3, 4])
  })

  it('stops at the first failure: nothing new starts, the running ones finish, then it rejects with that error', async () => {
    const started: number[] = []
    const pool = new FanOutPool<number>({
      run: async (n) => {
        started.push(n)
        await sleep(n === 1 ? 1 : 5)
        if (n === 1) throw new Error('element 1 failed')
      },
      slots: parentHolding(2), signal: new AbortController().signal, maxWorkers: 2, highWater: 16,
    })
    for (let i = 0; i < 10; i++) pool.push(i)
    await expect(pool.run()).rejects.toThrow('element 1 failed')
    expect(started).toEqual([0, 1])
  })

  it('rejects when cancelled with elements still waiting, so the parent is not acked short', async () => {
    const controller = new AbortController()
    const pool = new FanOutPool<number>({
      run: async (n) => { if (n === 2) controller.abort(new Error('cancelled')) },
      slots: parentHolding(1), signal: controller.signal, maxWorkers: 1, highWater: 16,
    })
    for (let i = 0; i < 5; i++) pool.push(i)
    await expect(pool.run()).rejects.toThrow('cancelled')
  })

  it('makes a streaming source wait while its high-water mark of elements is queued', async () => {
    let queuedPeak = 0
    let produced = 0
    let consumed = 0
    const pool: FanOutPool<number> = new FanOutPool<number>({
      run: async () => {
        await sleep(1)
        consumed++
      },
      slots: parentHolding(1), signal: new AbortController().signal, maxWorkers: 1, highWater: 4,
    })
    pool.addSource((async () => {
      for (let i = 0; i < 40; i++) {
        const room = pool.room()
        if (room) await room
        pool.push(i)
        produced++
        queuedPeak = Math.max(queuedPeak, produced - consumed)
      }
    })())
    await pool.run()
    expect(consumed).toBe(40)
    // Four waiting plus the one running.
    expect(queuedPeak).toBeLessThanOrEqual(5)
  })
})
