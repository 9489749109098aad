import fc from 'fast-check'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import {describe, expect, it} from 'vitest'

import {PreTokenMemo} from '../../../src/adapters/markdown/segmenting/pre-token-memo.js'
import {cl100kPreTokenEnd, patternPreTokenEnd, type PreTokenEnd} from '../../../src/adapters/markdown/segmenting/pre-tokens.js'
import {readFixture} from './context.js'

/** Pieces of every class the pattern tells apart, astral letters and numbers, lone surrogates and Unicode spaces included. */
const PIECES = fc.array(fc.constantFrom(
  'a', 'Z', 'é', 'ß', 'ж', '中', 'ا', '𝐀', '𠀀', '🙂', '1', '23', '4567', '²', '½', 'Ⅷ', '𝟘', '٣', ' ', '  ', '\t', '\v', '\f', '\n', '\r',
  '\r\n', '\n\n', ' \n ', '\u00a0', '\u2028', '\u3000', '\u200b', '\ufeff', '.', ',', '!?', '-', '---', '|', '`', '"', '(', '#', '*',
  "'", "'s", "'S", "'t", "'re", "'RE", "'rE", "'ve", "'Ve", "'ll", "'lL", "'m", "'d", "'D", "'x", "'1", '\ud800', '\udc00', 'word', ' word',
), {maxLength: 60}).map((parts) => parts.join(''))

function boundaries(text: string, end: PreTokenEnd): number[] {
  const out: number[] = []
  for (let start = 0; start < text.length; start = end(text, start)) out.push(start)
  return out
}

function patternBoundaries(text: string): number[] {
  return [...text.matchAll(new RegExp(cl100k.pat_str, 'gu'))].map((match) => match.index)
}

describe('pre-tokenisers', () => {
  it('cuts cl100k_base pre-tokens exactly where its pattern does, on random text of every character class', () => {
    fc.assert(fc.property(PIECES, (text) => {
      expect(boundaries(text, cl100kPreTokenEnd)).toEqual(patternBoundaries(text))
    }), {numRuns: 5000})
  })

  it('cuts cl100k_base pre-tokens exactly where its pattern does on every HTML fixture', async () => {
    for (const name of ['docs-page.html', 'code-samples.html', 'tables.html', 'bad-markup.html', 'handbook.html']) {
      const text = await readFixture(name)
      expect(boundaries(text, cl100kPreTokenEnd), name).toEqual(patternBoundaries(text))
    }
  })

  it('scans any encoding by its pattern, one match after another', () => {
    const scan = patternPreTokenEnd(cl100k.pat_str)
    fc.assert(fc.property(PIECES, (text) => {
      expect(boundaries(text, scan)).toEqual(patternBoundaries(text))
    }), {numRuns: 500})
  })
})

describe('pre-token memo', () => {
  it('finds what it holds by position in any text, grows, and empties itself when full', () => {
    const memo = new PreTokenMemo(50, 4)
    const words = Array.from({length: 120}, (_, i) => `w${i.toString(36)}`)
    const text = words.join(' ')
    let at = 0
    words.forEach((word, i) => {
      const start = text.indexOf(word, at)
      at = start + word.length
      const hash = PreTokenMemo.hash(text, start, at)
      expect(hash).toBe(PreTokenMemo.hash(word, 0, word.length))
      expect(memo.get(text, start, at, hash)).toBe(-1)
      memo.set(word, hash, i)
      expect(memo.get(text, start, at, hash)).toBe(i)
    })
    // The memo emptied itself when the 51st and the 101st words came: only the last 20 are held.
    expect(memo.get('w3b', 0, 3, PreTokenMemo.hash('w3b', 0, 3))).toBe(119)
    expect(memo.get('w1', 0, 2, PreTokenMemo.hash('w1', 0, 2))).toBe(-1)
  })
})
