import {describe, expect, it} from 'vitest'

import {parseDuration} from './parse-duration.js'

describe('parseDuration', () => {
  it('reads units, combinations and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('2.5')).toBe(2500)
  })

  it('refuses text that is not a duration', () => {
    expect(() => parseDuration('soon')).toThrow(expect.objectContaining({code: 'DURATION_INVALID'}))
    expect(() => parseDuration('5x')).toThrow(expect.objectContaining({code: 'DURATION_INVALID'}))
  })
})
