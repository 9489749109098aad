import {v7 as uuidv7, validate, version} from 'uuid'
import {describe, expect, it} from 'vitest'

import {derivedId} from './derived-id.js'

describe('derivedId', () => {
  it('is a valid UUIDv7 carrying the parent timestamp', () => {
    const parent = uuidv7()
    const id = derivedId(parent, 'a')
    expect(validate(id)).toBe(true)
    expect(version(id)).toBe(7)
    expect(id.slice(0, 13)).toBe(parent.slice(0, 13))
  })

  it('is the same for the same parent and discriminator and differs otherwise', () => {
    const parent = uuidv7()
    expect(derivedId(parent, 'x:1')).toBe(derivedId(parent, 'x:1'))
    expect(derivedId(parent, 'x:1')).not.toBe(derivedId(parent, 'x:2'))
    expect(derivedId(uuidv7(), 'x:1')).not.toBe(derivedId(parent, 'x:1'))
  })
})

describe('derivedId uniqueness', () => {
  it('gives distinct ids for 200k children of many parents', () => {
    const seen = new Set<string>()
    for (let p = 0; p < 2000; p++) {
      const parent = uuidv7()
      for (let i = 0; i < 100; i++) seen.add(derivedId(parent, `out:${i}`))
    }
    expect(seen.size).toBe(200_000)
  })
})
