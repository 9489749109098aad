import {describe, expect, it} from 'vitest'

import {letterError, openLetters, payloadExcerpt} from './dead-letters.js'

describe('dead letters in the web view', () => {
  it('shows the error as code and message, or whichever exists', () => {
    expect(letterError({error_info: {code: 'FILE_NOT_FOUND', message: 'No file /x'}})).toBe('FILE_NOT_FOUND: No file /x')
    expect(letterError({error_info: {message: 'injected failure'}})).toBe('injected failure')
    expect(letterError({error_info: {code: 'E1'}})).toBe('E1')
    expect(letterError({error_info: {other: 1}})).toBe('{"other":1}')
    expect(letterError({error_info: null})).toBe('no error recorded')
  })

  it('cuts the payload to an excerpt on one line', () => {
    expect(payloadExcerpt({message: {payload: {path: '/a'}, message_id: 'm'}})).toBe('{"path":"/a"}')
    const long = payloadExcerpt({message: {payload: {text: 'x'.repeat(500)}}}, 40)
    expect(long).toHaveLength(40)
    expect(long.endsWith('…')).toBe(true)
    expect(payloadExcerpt({message: {payload: 'line\nbreak'}})).toBe('"line\\nbreak"')
  })

  it('redrives only the letters not redriven yet', () => {
    const letters = [{id: 'a', redriven_at: null}, {id: 'b', redriven_at: '2026-12-07T00:00:00Z'}, {id: 'c', redriven_at: null}]
    expect(openLetters(letters).map((l) => l.id)).toEqual(['a', 'c'])
  })
})
