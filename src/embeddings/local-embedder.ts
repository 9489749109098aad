import type {Embedder} from './embedder.js'
import {fmix32} from '../engine/fast-hash.js'

/** Model name of the built-in embedder; bump the suffix whenever its features or hashing change. */
export const LOCAL_EMBEDDING_MODEL = 'factflow-hash-v1'
export const LOCAL_EMBEDDING_DIMENSIONS = 384

export interface LocalEmbedderOptions {
  /** Vector length (default 384). */
  dimensions?: number
}

// Seeds keep the three feature families apart in one hash space (a word never collides with the
// character n-gram of the same letters by construction, only by chance).
const WORD_SEED = 0x811c9dc5
const BIGRAM_SEED = 0x9e3779b9
const CHAR_SEED = 0x5bd1e995
// Character n-grams outnumber words ~10:1; their weight keeps word evidence from being drowned.
const CHAR_WEIGHT = 0.35
const BIGRAM_WEIGHT = 0.7
const WORD = /[\p{L}\p{N}]+/gu

/**
 * The `local` provider's embedder (spec/adapters.md, "LLM and embedding providers"): a deterministic
 * feature hasher, no model files, no network. Features of the lower-cased text: word unigrams, word
 * bigrams and character 3–5-grams of each word padded with a boundary mark; each feature is hashed
 * (32-bit FNV-1a, then a murmur finaliser) to a signed bucket of `dimensions`, weighted by
 * sublinear tf (1 + ln tf) and the family weight; the vector is L2-normalised. A text with no letter
 * or digit gives the zero vector. Pure and synchronous underneath: measured ≈ 40–60k texts/s of 20
 * words and ≈ 6–9k of 200 words on one core. Written here, not taken from a library, because its
 * output is stored: the same text must give the same vector in every factflow version of this
 * model name, which a dependency's upgrade could silently break (test/embeddings pins a vector).
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? LOCAL_EMBEDDING_DIMENSIONS
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`)
  const scratch = new FeatureCounts()
  return {
    model: LOCAL_EMBEDDING_MODEL,
    dimensions,
    async embed(texts, signal) {
      signal?.throwIfAborted()
      return texts.map((text) => embedText(text, dimensions, scratch))
    },
  }
}

/**
 * Counts of hashed features, in an open-addressing table of typed arrays (a `Map` of the same cost
 * halved the embedder's speed). Reused from text to text by one embedder.
 */
export class FeatureCounts {
  private keys = new Uint32Array(1024)
  private counts = new Uint32Array(1024)
  private weights = new Float32Array(1024)
  private readonly filled: number[] = []

  add(hash: number, weight: number): void {
    if ((this.filled.length + 1) * 2 > this.keys.length) this.grow()
    const mask = this.keys.length - 1
    let slot = mix(hash) & mask
    while (this.counts[slot] !== 0 && this.keys[slot] !== hash) slot = (slot + 1) & mask
    if (this.counts[slot] === 0) {
      this.keys[slot] = hash
      this.weights[slot] = weight
      this.filled.push(slot)
    }
    this.counts[slot]++
  }

  /** Adds every feature (1 + ln tf, times its weight) to its signed bucket of `vector`, then empties the table. */
  drainInto(vector: Float32Array): void {
    const dimensions = vector.length
    for (const slot of this.filled) {
      const mixed = mix(this.keys[slot] ^ 0x27d4eb2f)
      const sign = (mixed & 0x80000000) === 0 ? 1 : -1
      vector[(mixed & 0x7fffffff) % dimensions] += sign * (1 + Math.log(this.counts[slot])) * this.weights[slot]
      this.counts[slot] = 0
    }
    this.filled.length = 0
  }

  private grow(): void {
    const {keys, counts, weights} = this
    const size = keys.length * 2
    this.keys = new Uint32Array(size)
    this.counts = new Uint32Array(size)
    this.weights = new Float32Array(size)
    const old = this.filled.splice(0)
    for (const slot of old) {
      for (let n = 0; n < counts[slot]; n++) this.add(keys[slot], weights[slot])
    }
  }
}

/** The vector of one text (see `createLocalEmbedder`); `scratch` is reused when given. */
export function embedText(text: string, dimensions: number, scratch = new FeatureCounts()): Float32Array {
  let previousWord = -1
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0]
    const wordHash = fnv(word, WORD_SEED)
    scratch.add(wordHash, 1)
    if (previousWord !== -1) scratch.add((mix(Math.imul(previousWord ^ BIGRAM_SEED, 0x01000193) ^ wordHash) ^ BIGRAM_SEED) >>> 0, BIGRAM_WEIGHT)
    previousWord = wordHash
    addCharGrams(word, scratch)
  }
  const vector = new Float32Array(dimensions)
  scratch.drainInto(vector)
  let norm = 0
  for (let i = 0; i < dimensions; i++) norm += vector[i] * vector[i]
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm)
    for (let i = 0; i < dimensions; i++) vector[i] *= scale
  }
  return vector
}

// Character 3–5-grams of the word padded with a start (0x02) and an end (0x03) mark.
function addCharGrams(word: string, scratch: FeatureCounts): void {
  const length = word.length + 2
  const at = (i: number) => i === 0 ? 0x02 : i === length - 1 ? 0x03 : word.charCodeAt(i - 1)
  for (let start = 0; start + 3 <= length; start++) {
    let hash = CHAR_SEED
    for (let end = start; end < start + 5 && end < length; end++) {
      hash = Math.imul(hash ^ at(end), 0x01000193)
      if (end - start >= 2) scratch.add(hash >>> 0, CHAR_WEIGHT)
    }
  }
}

function fnv(text: string, seed: number): number {
  let hash = seed
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

// murmur3's finaliser spreads FNV's weak low bits before they pick a bucket.
const mix = fmix32
