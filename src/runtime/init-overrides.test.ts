import {describe, expect, it} from 'vitest'

import {buildInitOverrides} from './init-overrides.js'

describe('buildInitOverrides', () => {
  it('sets dotted keys and parses JSON values', () => {
    expect(buildInitOverrides(['a.b=1', 'a.c=text', 'flag=true', 'list=[1,2]'])).toEqual({a: {b: 1, c: 'text'}, flag: true, list: [1, 2]})
  })

  it('applies --set over --init-payload', () => {
    expect(buildInitOverrides(['x=2'], '{"x": 1, "y": 3}')).toEqual({x: 2, y: 3})
  })

  it('refuses malformed assignments and non-object payloads with coded errors', () => {
    expect(() => buildInitOverrides(['novalue'])).toThrow(expect.objectContaining({code: 'SET_INVALID'}))
    expect(() => buildInitOverrides(['a..b=1'])).toThrow(expect.objectContaining({code: 'SET_INVALID'}))
    expect(() => buildInitOverrides([], '{oops')).toThrow(expect.objectContaining({code: 'INIT_PAYLOAD_INVALID'}))
    expect(() => buildInitOverrides([], '[1]')).toThrow(expect.objectContaining({code: 'INIT_PAYLOAD_INVALID'}))
  })

  it.each(['__proto__.polluted=yes', 'a.__proto__.polluted=yes', 'constructor.prototype.polluted=yes', 'a.prototype=1', 'constructor=1'])(
    'refuses %s with SET_KEY_FORBIDDEN and leaves Object.prototype alone', (assignment) => {
      expect(() => buildInitOverrides([assignment])).toThrow(expect.objectContaining({code: 'SET_KEY_FORBIDDEN'}))
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
})
