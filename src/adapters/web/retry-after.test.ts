import {describe, expect, it} from 'vitest'

import {parseRetryAfter} from './retry-after.js'

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000)
    expect(parseRetryAfter(' 0 ')).toBe(0)
  })

  it('reads an HTTP date as the time left until it', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
  })

  it('never returns a negative wait for a date in the past', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2015 00:00:00 GMT')).toBe(0)
  })

  it.each([[null], [undefined], [''], ['soon'], ['-5'], ['1.5']])('ignores an absent or unparsable value (%j)', (value) => {
    expect(parseRetryAfter(value)).toBeUndefined()
  })
})
