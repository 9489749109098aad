import {describe, expect, it} from 'vitest'

import {Deque} from './deque.js'

describe('Deque', () => {
  it('keeps FIFO order across wrap-around of the ring', () => {
    const deque = new Deque<number>()
    const capacity = deque.capacity
    for (let i = 0; i < capacity - 2; i++) deque.push(i)
    for (let i = 0; i < capacity - 4; i++) expect(deque.shift()).toBe(i)
    // head is now near the end of the backing array: these pushes wrap to its start
    for (let i = 100; i < 100 + capacity - 3; i++) deque.push(i)
    expect(deque.capacity).toBe(capacity)
    const rest = [...deque]
    expect(rest).toEqual([capacity - 4, capacity - 3, ...Array.from({length: capacity - 3}, (_, i) => 100 + i)])
    const drained: number[] = []
    while (deque.length > 0) drained.push(deque.shift() as number)
    expect(drained).toEqual(rest)
    expect(deque.shift()).toBeUndefined()
  })

  it('grows while wrapped without reordering', () => {
    const deque = new Deque<number>()
    for (let i = 0; i < 10; i++) deque.push(i)
    for (let i = 0; i < 8; i++) deque.shift()
    for (let i = 10; i < 100; i++) deque.push(i)
    expect([...deque]).toEqual(Array.from({length: 92}, (_, i) => i + 8))
  })

  it('puts unshifted items in front, also across the wrap', () => {
    const deque = new Deque<string>()
    deque.push('b')
    deque.unshift('a')
    for (let i = 0; i < 40; i++) deque.unshift(`x${i}`)
    expect(deque.peek()).toBe('x39')
    expect([...deque].slice(-2)).toEqual(['a', 'b'])
    expect(deque.length).toBe(42)
  })

  it('shrinks its backing array once a large backlog drains', () => {
    const deque = new Deque<number>()
    for (let i = 0; i < 100_000; i++) deque.push(i)
    expect(deque.capacity).toBeGreaterThanOrEqual(100_000)
    for (let i = 0; i < 100_000; i++) expect(deque.shift()).toBe(i)
    expect(deque.capacity).toBeLessThanOrEqual(64)
  })

  it('clears to empty', () => {
    const deque = new Deque<number>()
    for (let i = 0; i < 50; i++) deque.push(i)
    deque.clear()
    expect(deque.length).toBe(0)
    expect(deque.peek()).toBeUndefined()
    deque.push(1)
    expect([...deque]).toEqual([1])
  })
})
