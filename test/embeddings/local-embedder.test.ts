import {describe, expect, it} from 'vitest'

import {createEmbedder} from '../../src/embeddings/embedder.js'
import type {CpuPool} from '../../src/cpu/cpu-task.js'
import {createWorkerCpuPool} from '../../src/cpu/worker-cpu-pool.js'
import {createLocalEmbedder, embedText, embedWords, FeatureCounts, LOCAL_EMBEDDING_MODEL, POOL_MIN_CHARS} from '../../src/embeddings/local-embedder.js'
import {FactflowError} from '../../src/errors/index.js'

// factflow-hash-v2 of "Factflow embeds segments offline." in 16 dimensions (two words share bucket 11).
const PINNED_V2 = [0, -0.40825, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.8165, 0, 0, -0.40825, 0]
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i], 0)

describe('local embedder', () => {
  it('gives the same vector for the same text, every time', async () => {
    const embedder = createLocalEmbedder()
    const [a, b] = await embedder.embed(['Kubernetes pods restart on failure', 'Kubernetes pods restart on failure'])
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(embedWords('Kubernetes pods restart on failure', 768))).toEqual(Array.from(a))
  })

  it('returns L2-normalised Float32Arrays of the configured dimensions', async () => {
    const embedder = createLocalEmbedder({dimensions: 64})
    const [vector] = await embedder.embed(['Hello, wide world! Ünïcode wörds too.'])
    expect(vector).toBeInstanceOf(Float32Array)
    expect(vector).toHaveLength(64)
    expect(Math.sqrt(cosine(vector, vector))).toBeCloseTo(1, 5)
  })

  it('gives the zero vector for text without letters or digits', () => {
    expect(embedText('  ... !!', 16).every((value) => value === 0)).toBe(true)
  })

  it('puts similar texts closer than unrelated ones', async () => {
    const embedder = createLocalEmbedder()
    const [query, near, far] = await embedder.embed([
      'how do I configure the database connection pool',
      'Configuring the connection pool of the database: set pool size and timeouts',
      'Bake the sourdough bread at 230 degrees for forty minutes',
    ])
    expect(cosine(query, near)).toBeGreaterThan(cosine(query, far) + 0.2)
  })

  it('v1: character n-grams make inflections near', async () => {
    const [configure, configuring] = await createLocalEmbedder({model: 'factflow-hash-v1'}).embed(['configure', 'configuring'])
    expect(cosine(configure, configuring)).toBeGreaterThan(0.4)
  })

  it('v2: ignores function words and link targets, so only the words of the passage count', () => {
    const plain = embedWords('Pretty printing JSON with indent', 768)
    expect(Array.from(embedWords('How do I do pretty printing of the JSON, with an indent?', 768))).toEqual(Array.from(plain))
    expect(Array.from(embedWords('[Pretty printing](http://127.0.0.1:41234/json.html#pp) JSON https://x.test/a?b=c with indent', 768)))
      .toEqual(Array.from(plain))
  })

  it('v2: keeps a vector for a text made only of function words', () => {
    expect(embedWords('how do I', 64).some((value) => value !== 0)).toBe(true)
  })

  it('never changes its vectors (they are stored: a change needs a new model name)', () => {
    const pinnedV1 = [-0.341947, -0.244248, -0.170973, 0.25646, -0.341947, -0.170973, -0.085487, 0.085487, 0, -0.170973,
      0.25646, -0.317522, -0.170973, 0.341947, -0.329735, -0.341947]
    Array.from(embedText('Factflow embeds segments offline.', 16)).forEach((value, i) => expect(value).toBeCloseTo(pinnedV1[i], 5))
    expect(LOCAL_EMBEDDING_MODEL).toBe('factflow-hash-v2')
    expect(Array.from(embedWords('Factflow embeds segments offline.', 16)).map((value) => Number(value.toFixed(5)))).toEqual(PINNED_V2)
  })

  it('counts repeated features sublinearly and survives texts larger than its scratch table', () => {
    const long = Array.from({length: 3000}, (_, i) => `word${i % 500}`).join(' ')
    const vector = embedText(long, 384, new FeatureCounts())
    expect(Math.sqrt(cosine(vector, vector))).toBeCloseTo(1, 5)
    expect(Array.from(vector)).toEqual(Array.from(embedText(long, 384)))
  })

  it('is case-insensitive', () => {
    expect(Array.from(embedText('PostgreSQL Vector', 32))).toEqual(Array.from(embedText('postgresql vector', 32)))
  })

  it('rejects when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(createLocalEmbedder().embed(['x'], controller.signal)).rejects.toThrow('stop')
  })
})

describe('createEmbedder', () => {
  it('resolves local and default to the built-in embedder', () => {
    expect(createEmbedder('local').model).toBe(LOCAL_EMBEDDING_MODEL)
    expect(createEmbedder('default', {dimensions: 128}).dimensions).toBe(128)
  })

  it('asks the resolver for other profiles and for default first', () => {
    const custom = {model: 'm', dimensions: 3, embed: async (texts: string[]) => texts.map(() => new Float32Array(3))}
    expect(createEmbedder('openai', {}, (name) => name === 'openai' ? custom : undefined)).toBe(custom)
    expect(createEmbedder('default', {}, () => custom)).toBe(custom)
  })

  it('rejects an unknown profile with EMBEDDING_PROFILE_UNKNOWN', () => {
    const error = (() => { try { createEmbedder('nope') } catch (caught) { return caught } })()
    expect(error).toBeInstanceOf(FactflowError)
    expect((error as FactflowError).code).toBe('EMBEDDING_PROFILE_UNKNOWN')
    expect((error as FactflowError).kind).toBe('user')
  })

  describe('with a CPU pool', () => {
    const texts = Array.from({length: 40}, (_, i) => `Segment ${i} explains how the vacuum daemon reclaims dead tuples in table ${i % 7}. `.repeat(6))
    /** A worker pool that records the tasks it is given. */
    function countingPool(): CpuPool & {tasks: string[]} {
      const pool = createWorkerCpuPool({threads: 1})
      const tasks: string[] = []
      return {
        threads: pool.threads, tasks, close: () => pool.close(),
        run: (task, input, options) => {
          tasks.push(task.name)
          return pool.run(task, input, options)
        },
      }
    }

    it('embeds a large batch in a worker thread, giving the vectors it gives on this thread', async () => {
      expect(texts.join('').length).toBeGreaterThan(POOL_MIN_CHARS)
      const pool = countingPool()
      try {
        for (const model of ['factflow-hash-v2', 'factflow-hash-v1'] as const) {
          const pooled = await createLocalEmbedder({model, cpu: pool}).embed(texts)
          const here = await createLocalEmbedder({model}).embed(texts)
          expect(pooled).toHaveLength(texts.length)
          expect(pooled.map((vector) => Array.from(vector))).toEqual(here.map((vector) => Array.from(vector)))
        }
        expect(pool.tasks).toEqual(['embedLocal', 'embedLocal'])
      } finally {
        await pool.close()
      }
    })

    it('embeds a small batch on this thread, and rejects an aborted one', async () => {
      const pool = countingPool()
      try {
        const embedder = createLocalEmbedder({cpu: pool})
        await embedder.embed(['one short query', 'and another'])
        expect(pool.tasks).toEqual([])
        const controller = new AbortController()
        controller.abort(new Error('cancelled'))
        await expect(embedder.embed(texts, controller.signal)).rejects.toThrow('cancelled')
      } finally {
        await pool.close()
      }
    })
  })
})
