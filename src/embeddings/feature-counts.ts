import {fmix32} from '../engine/fast-hash.js'

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

/** Drains `scratch` into a new vector of `dimensions` and L2-normalises it (the zero vector stays zero). */
export function normalisedVector(scratch: FeatureCounts, dimensions: number): Float32Array {
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

// murmur3's finaliser spreads FNV's weak low bits before they pick a bucket.
const mix = fmix32
