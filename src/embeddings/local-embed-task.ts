import {FeatureCounts} from './feature-counts.js'
import {embedFunction, type LocalEmbeddingModel} from './local-embedder.js'

export interface LocalEmbedTaskInput {
  texts: string[]
  model: LocalEmbeddingModel
  dimensions: number
}

// One table per thread, reused from call to call (a worker runs one task at a time).
const scratch = new FeatureCounts()

/** The local embedder's vectors of `texts`, one after the other in one array (`dimensions` each). */
export function embedLocal(input: LocalEmbedTaskInput): Float32Array {
  const {texts, dimensions} = input
  const embedOne = embedFunction(input.model)
  const out = new Float32Array(texts.length * dimensions)
  for (let i = 0; i < texts.length; i++) out.set(embedOne(texts[i]!, dimensions, scratch), i * dimensions)
  return out
}
