import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {translationPieces} from './translation-chunks.js'

describe('translationPieces', () => {
  it('keeps the blank lines around and between chunks out of what is translated', () => {
    expect(translationPieces('\n\n  indented first\n\npara two\n\n\nthree\n', 20)).toEqual([
      {text: '\n\n', translate: false},
      {text: '  indented first', translate: true},
      {text: '\n\n', translate: false},
      {text: 'para two\n\n\nthree', translate: true},
      {text: '\n', translate: false},
    ])
  })

  it('never cuts a paragraph longer than the budget', () => {
    const long = 'x'.repeat(50)
    expect(translationPieces(`a\n\n${long}\n\nb`, 10).filter((piece) => piece.translate).map((piece) => piece.text)).toEqual(['a', long, 'b'])
  })

  it('stays linear on long runs of blanks', () => {
    const started = performance.now()
    const text = `${' '.repeat(200_000)}x${' \t'.repeat(100_000)}\n\n${' '.repeat(200_000)}`
    expect(translationPieces(text).map((piece) => piece.text).join('')).toBe(text)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('puts the text back together exactly', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom('\n', '\n\n', ' ', '\r\n', 'word'), fc.string())), fc.integer({min: 1, max: 40}), (parts, max) => {
      const text = parts.join('')
      expect(translationPieces(text, max).map((piece) => piece.text).join('')).toBe(text)
    }))
  })
})
