import {validate, version} from 'uuid'
import {describe, expect, it} from 'vitest'

import {fastUuidv7, writeFastUuidv7} from './fast-id.js'

describe('fastUuidv7', () => {
  it('makes valid, distinct, time-ordered UUIDv7s', () => {
    const ids = Array.from({length: 100_000}, () => fastUuidv7())
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids.slice(0, 100)) {
      expect(validate(id)).toBe(true)
      expect(version(id)).toBe(7)
    }
    const ms = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)
    expect(Math.abs(ms(ids[0]!) - Date.now())).toBeLessThan(5000)
    expect(ms(ids.at(-1)!)).toBeGreaterThanOrEqual(ms(ids[0]!))
  })
})

describe('writeFastUuidv7', () => {
  it('writes the bytes of valid, distinct UUIDv7s that never repeat a text-form id', () => {
    const buffer = Buffer.alloc(16)
    const view = new DataView(buffer.buffer, buffer.byteOffset, 16)
    const seen = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      writeFastUuidv7(view, 0)
      const hex = buffer.toString('hex')
      const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
      expect(validate(id)).toBe(true)
      expect(version(id)).toBe(7)
      seen.add(id)
      seen.add(fastUuidv7())
    }
    expect(seen.size).toBe(20_000)
    const first = [...seen][0]!
    expect(Math.abs(Number.parseInt(first.replaceAll('-', '').slice(0, 12), 16) - Date.now())).toBeLessThan(5000)
  })
})
