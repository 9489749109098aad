import {describe, expect, it} from 'vitest'
import {LineRing} from './line-ring.js'

describe('LineRing', () => {
  it('hands lines out oldest first, across the wrap-around', () => {
    const ring = new LineRing(4)
    for (const line of ['a', 'b', 'c']) ring.push(line)
    expect(ring.take(2)).toEqual(['a', 'b'])
    for (const line of ['d', 'e', 'f']) ring.push(line)
    expect(ring.size).toBe(4)
    expect(ring.take(10)).toEqual(['c', 'd', 'e', 'f'])
    expect(ring.size).toBe(0)
  })

  it('drops the oldest line when full and says so', () => {
    const ring = new LineRing(2)
    expect(ring.push('a')).toBe(false)
    expect(ring.push('b')).toBe(false)
    expect(ring.push('c')).toBe(true)
    expect(ring.take(5)).toEqual(['b', 'c'])
  })

  it('clears and counts what it held', () => {
    const ring = new LineRing(3)
    ring.push('a')
    ring.push('b')
    expect(ring.clear()).toBe(2)
    expect(ring.size).toBe(0)
  })
})
