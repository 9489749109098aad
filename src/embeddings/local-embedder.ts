import {type CpuPool, defineCpuTask} from '../cpu/cpu-task.js'
import type {Embedder} from './embedder.js'
import type {LocalEmbedTaskInput} from './local-embed-task.js'
import {FeatureCounts, normalisedVector} from './feature-counts.js'
import {addWordFeatures} from './word-features.js'
import {fmix32} from '../engine/fast-hash.js'

export {FeatureCounts} from './feature-counts.js'

/** Model names of the built-in embedder; a change of features or hashing needs a new name. */
export const LOCAL_EMBEDDING_MODELS = {
  /** Words, word bigrams and character 3–5-grams (see `embedText`); 384 dimensions. */
  'factflow-hash-v1': {dimensions: 384},
  /** Content words only, without link targets (see `addWordFeatures`); 768 dimensions. */
  'factflow-hash-v2': {dimensions: 768},
} as const
export type LocalEmbeddingModel = keyof typeof LOCAL_EMBEDDING_MODELS
/** The model new slots get. Older models stay here so their stored vectors remain searchable. */
export const LOCAL_EMBEDDING_MODEL: LocalEmbeddingModel = 'factflow-hash-v2'
export const LOCAL_EMBEDDING_DIMENSIONS = LOCAL_EMBEDDING_MODELS[LOCAL_EMBEDDING_MODEL].dimensions

export interface LocalEmbedderOptions {
  /** Default `LOCAL_EMBEDDING_MODEL`. */
  model?: LocalEmbeddingModel
  /** Vector length (default: the model's). */
  dimensions?: number
  /**
   * Where a batch is embedded when the pool has threads and the batch is large enough to pay for
   * the hop (`POOL_MIN_CHARS`): the runtime's CPU pool, so a run's main thread keeps to I/O.
   */
  cpu?: CpuPool
}

/**
 * Batches with fewer characters are embedded on the calling thread (a search query never leaves).
 * Measured on the main thread: a pooled call costs 0.07–0.26 ms, hashing 3.5 KB inline 0.07 ms,
 * 14 KB 0.26 ms, 58 KB 1.5 ms (an embedding_generator batch of 64 segments is ≈ 75 KB).
 */
export const POOL_MIN_CHARS = 16 * 1024

/** `embedLocal` of local-embed-task.ts (named by URL: that module imports this one). */
const embedLocalTask = defineCpuTask<LocalEmbedTaskInput, Float32Array>(new URL('./local-embed-task.js', import.meta.url).href, 'embedLocal')

export function isLocalEmbeddingModel(model: string): model is LocalEmbeddingModel {
  return Object.hasOwn(LOCAL_EMBEDDING_MODELS, model)
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
 * The `local` provider's embedder (docs/reference/adapters.md, "LLM and embedding providers"): a deterministic
 * feature hasher, no model files, no network. Each feature of the text is hashed to a signed bucket
 * of `dimensions`, weighted by sublinear tf (1 + ln tf) and its family weight; the vector is
 * L2-normalised. A text with no letter or digit gives the zero vector. `factflow-hash-v2` (the
 * default) hashes content words (see `addWordFeatures`), `factflow-hash-v1` words, word bigrams and
 * character n-grams (see `embedText`). Pure and synchronous underneath (v1 ≈ 6–9k texts of 200
 * words per second on one core; v2 several times that). Written here, not taken from a library,
 * because its output is stored: the same text must give the same vector in every factflow
 * version of one model name, which a dependency's upgrade could silently break (test/embeddings
 * pins a vector of each model).
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const model = options.model ?? LOCAL_EMBEDDING_MODEL
  const dimensions = options.dimensions ?? LOCAL_EMBEDDING_MODELS[model].dimensions
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`)
  const scratch = new FeatureCounts()
  const embed = embedFunction(model)
  const embedOne = (text: string) => embed(text, dimensions, scratch)
  const cpu = options.cpu !== undefined && options.cpu.threads > 0 ? options.cpu : undefined
  return {
    model,
    dimensions,
    async embed(texts, signal) {
      signal?.throwIfAborted()
      if (cpu === undefined || texts.length < 2) return texts.map(embedOne)
      let chars = 0
      for (const text of texts) chars += text.length
      if (chars < POOL_MIN_CHARS) return texts.map(embedOne)
      const joined = await cpu.run(embedLocalTask, {texts, model, dimensions}, {signal})
      return texts.map((_, i) => joined.subarray(i * dimensions, (i + 1) * dimensions))
    },
  }
}

/** The function that gives one text's vector under `model` (on whichever thread embeds). */
export function embedFunction(model: LocalEmbeddingModel): (text: string, dimensions: number, scratch?: FeatureCounts) => Float32Array {
  return model === 'factflow-hash-v1' ? embedText : embedWords
}

/** The `factflow-hash-v2` vector of one text; `scratch` is reused when given. */
export function embedWords(text: string, dimensions: number, scratch = new FeatureCounts()): Float32Array {
  addWordFeatures(text, scratch)
  return normalisedVector(scratch, dimensions)
}

/** The `factflow-hash-v1` vector of one text; `scratch` is reused when given. */
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
  return normalisedVector(scratch, dimensions)
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
