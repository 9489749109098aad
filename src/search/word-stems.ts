import porter2 from 'wink-porter2-stemmer'

import {ENGLISH_STOPWORDS} from '../embeddings/english-stopwords.js'

const WORD = /[\p{L}\p{N}]+/gu
const cache = new Map<string, string>()
/** Words stemmed at most; past it the cache starts over (a bound on memory, not a tuning knob). */
const CACHE_LIMIT = 50_000

/** The Porter2 (Snowball English, as PostgreSQL's `english`) stem of a lower-case word; memoised. */
export function wordStem(word: string): string {
  let value = cache.get(word)
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    cache.set(word, value = porter2(word))
  }
  return value
}

/** The lower-case words of a text, in order. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? []
}

/** The stems of a text's content words (English function words and single letters dropped), distinct, in order. */
export function contentStems(text: string): string[] {
  return [...new Set(wordsOf(text).filter((word) => !ENGLISH_STOPWORDS.has(word) && word.length > 1).map(wordStem))]
}
