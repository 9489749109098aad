import fc from 'fast-check'
import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import o200k from 'js-tiktoken/ranks/o200k_base'
import p50k from 'js-tiktoken/ranks/p50k_base'
import r50k from 'js-tiktoken/ranks/r50k_base'
import {beforeAll, describe, expect, it} from 'vitest'

import {loadTokenCounter, type TokenCounter, type TokenEncoding} from '../../../src/adapters/markdown/segmenting/token-counter.js'
import {readFixture} from './context.js'

/** Text made of what tokenisers find hard: contractions, digit runs, mixed scripts, whitespace runs, punctuation before newlines. */
const TRICKY = fc.array(fc.constantFrom(
  'a', 'Z', 'é', 'ß', 'ж', '中', '文', 'ا', '🙂', '1', '23', '4567', ' ', '  ', '\t', '\n', '\n\n', '\r\n', '.', ',', '!?', '...',
  "'s", "'T", "'re", "'LL", "'", '"', '#', '##', '```', '|', '-', '*', '_', '(', ')', '[', ']', '/', '\\', '<|endoftext|>', 'word', ' word',
  'Word', 'WORDS', 'camelCase', 'https://example.org/a?b=c', '\u00a0', '\u200b',
), {maxLength: 80}).map((parts) => parts.join(''))

describe('token counter', () => {
  let reference: Tiktoken
  let counter: TokenCounter

  beforeAll(async () => {
    reference = new Tiktoken(cl100k)
    counter = await loadTokenCounter('cl100k_base')
  }, 60_000)

  it('counts exactly what js-tiktoken encodes for every HTML fixture', async () => {
    for (const name of ['docs-page.html', 'code-samples.html', 'tables.html', 'bad-markup.html', 'handbook.html']) {
      const text = await readFixture(name)
      expect(counter.count(text), name).toBe(reference.encode(text, [], []).length)
    }
  })

  it('counts exactly what js-tiktoken encodes for random text with contractions, scripts, digits and whitespace runs', () => {
    fc.assert(fc.property(TRICKY, (text) => counter.count(text) === reference.encode(text, [], []).length), {numRuns: 2000})
  })

  it('counts long words, long digit and whitespace runs and lone surrogates as js-tiktoken does', () => {
    const next = (seed => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)(7)
    const letters = 'abcdefghijklmnopqrstuvwxyzéßж'
    const word = (n: number) => Array.from({length: n}, () => letters[Math.floor(next() * letters.length)]).join('')
    for (const text of [word(300), ` ${word(1000)}`, '1234567890'.repeat(40), ' '.repeat(700) + 'x', '\t\n '.repeat(200),
      'a\ud800b', '\udc00', 'x\ud83d', 'base64:' + 'QUJD'.repeat(250)]) {
      expect(counter.count(text), text.slice(0, 20)).toBe(reference.encode(text, [], []).length)
    }
  })

  it('counts special-token text as ordinary text instead of throwing', () => {
    const text = 'Models end a document with <|endoftext|> and never see it again.'
    expect(counter.count(text)).toBe(reference.encode(text, [], []).length)
    expect(() => reference.encode(text)).toThrow()
  })

  it('gives the same counts when called again (memoised pre-tokens)', () => {
    const text = 'Repeated words repeated words repeated words.'
    expect(counter.count(text)).toBe(counter.count(text))
    expect(counter.count('')).toBe(0)
  })

  it('cuts tails and heads on pre-token boundaries whose exact counts stay within the limit', () => {
    fc.assert(fc.property(TRICKY, fc.integer({min: 1, max: 12}), (text, limit) => {
      const tail = counter.tail(text, limit)
      const head = counter.head(text, limit)
      const tailOk = text.endsWith(tail) && reference.encode(tail, [], []).length <= limit
      const headOk = text.startsWith(head) && (text === '' || head.length > 0)
      const headCount = reference.encode(head, [], []).length
      // A head may exceed the limit only when it is a single pre-token (the cut must advance).
      return tailOk && headOk && (headCount <= limit || counter.head(head, 0) === head)
    }), {numRuns: 1000})
  })

  it('shares one counter per encoding through the execution state', async () => {
    const state = new Map<string, unknown>()
    const [a, b] = await Promise.all([loadTokenCounter('cl100k_base', state), loadTokenCounter('cl100k_base', state)])
    expect(a).toBe(b)
    expect(a.encoding).toBe('cl100k_base')
  }, 60_000)
})

describe.each([
  ['o200k_base', o200k], ['p50k_base', p50k], ['r50k_base', r50k],
] as const)('token counter in %s', (encoding: TokenEncoding, ranks) => {
  let reference: Tiktoken
  let counter: TokenCounter

  beforeAll(async () => {
    reference = new Tiktoken(ranks)
    counter = await loadTokenCounter(encoding)
  }, 60_000)

  it('counts exactly what js-tiktoken encodes for the HTML fixtures and random text', async () => {
    for (const name of ['docs-page.html', 'code-samples.html', 'handbook.html']) {
      const text = await readFixture(name)
      expect(counter.count(text), name).toBe(reference.encode(text, [], []).length)
    }
    fc.assert(fc.property(TRICKY, (text) => counter.count(text) === reference.encode(text, [], []).length), {numRuns: 500})
  }, 60_000)
})
