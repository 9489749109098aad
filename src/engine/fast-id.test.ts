import {validate, version} from 'uuid'
import {describe, expect, it} from 'vitest'

import {fastUuidv7} from './fast-id.js'

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
