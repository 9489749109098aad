import type {FeatureCounts} from './feature-counts.js'
import {ENGLISH_STOPWORDS} from './english-stopwords.js'

const WORD = /[\p{L}\p{N}]+/gu
const WORD_SEED = 0x811c9dc5
// Markdown link and image targets, and bare URLs: addresses, not words of the passage. They also
// carry the host and port a page was crawled from, which would make one text's vector differ by
// where it was fetched.
const LINK_TARGET = /\]\([^)\s]*(?:\s+"[^"]*")?\)/g
const BARE_URL = /\b(?:https?|ftp|file):\/\/[^\s<>()]+/gi

/**
 * Features of `factflow-hash-v2`: the lower-cased words of the text (letters and digits), without
 * English function words and without link targets and URLs, each counted into `scratch` with
 * weight 1. Words only: character n-grams outnumber words about ten to one, and in a few hundred
 * buckets their collisions drowned the words (measured on the Python and PostgreSQL manuals:
 * recall@5 of hybrid search 0.85 with v1's n-grams and bigrams, 0.93 without).
 * A text made only of function words keeps them, so it still has a vector.
 */
export function addWordFeatures(text: string, scratch: FeatureCounts): void {
  const words = text.replace(LINK_TARGET, ']').replace(BARE_URL, ' ').toLowerCase().match(WORD) ?? []
  const content = words.filter((word) => !ENGLISH_STOPWORDS.has(word))
  for (const word of content.length > 0 ? content : words) scratch.add(wordHash(word), 1)
}

/** 32-bit FNV-1a; `FeatureCounts` mixes it (murmur3 finaliser) before it picks a bucket and a sign. */
function wordHash(word: string): number {
  let hash = WORD_SEED
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193)
  return hash >>> 0
}
