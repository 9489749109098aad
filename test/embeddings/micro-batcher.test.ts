import {describe, expect, it} from 'vitest'

import {MicroBatcher} from '../../src/embeddings/micro-batcher.js'

function recordingBatcher(maxSize: number, lingerMs = 0, fail?: (items: number[]) => boolean) {
  const batches: number[][] = []
  const batcher = new MicroBatcher<number, number>({
    maxSize, lingerMs,
    run: async (items) => {
      batches.push(items)
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (fail?.(items)) throw new Error('batch failed')
      return items.map((item) => item * 10)
    },
  })
  return {batcher, batches}
}

describe('MicroBatcher', () => {
  it('collects concurrent submissions into batches of at most maxSize, one result per caller', async () => {
    const {batcher, batches} = recordingBatcher(4)
    const results = await Promise.all(Array.from({length: 10}, (_, i) => batcher.submit(i)))
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
  })

  it('runs one batch at a time; what arrives meanwhile forms the next batch', async () => {
    const {batcher, batches} = recordingBatcher(64)
    const first = batcher.submit(1)
    await new Promise((resolve) => setTimeout(resolve, 1))
    const later = [batcher.submit(2), batcher.submit(3)]
    await Promise.all([first, ...later])
    expect(batches).toEqual([[1], [2, 3]])
  })

  it('waits lingerMs for company, not longer', async () => {
    const {batcher, batches} = recordingBatcher(64, 20)
    const started = performance.now()
    const a = batcher.submit(1)
    setTimeout(() => void batcher.submit(2), 5)
    await a
    expect(batches[0]).toEqual([1, 2])
    expect(performance.now() - started).toBeLessThan(200)
  })

  it('fails every caller of a failed batch and goes on with the next', async () => {
    const {batcher} = recordingBatcher(2, 0, (items) => items.includes(1))
    const settled = await Promise.allSettled([0, 1, 2].map((item) => batcher.submit(item)))
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
  })

  it('drains what was submitted', async () => {
    const {batcher, batches} = recordingBatcher(2)
    for (const item of [1, 2, 3]) void batcher.submit(item)
    await batcher.drain()
    expect(batches.flat()).toEqual([1, 2, 3])
  })
})
