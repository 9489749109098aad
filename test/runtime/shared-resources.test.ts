import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {createEmbedders} from '../../src/embeddings/embedders.js'
import {createLlmClients} from '../../src/llm/create-chat-client.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import {silentLogger} from '../../src/logging/logger.js'
import {createRuntime, type Runtime} from '../../src/runtime/runtime.js'
import {pipeline} from '../helpers/engine-harness.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

/**
 * What a runtime shares between its executions (issue 17: "adapters get their LLM clients,
 * embedders and fetchers as typed resources from the root"): a profile's limiter bounds the
 * embedding calls of every execution together, and a host's rate limit (a 429's pause) holds the
 * requests of every execution to that host.
 */
let llm: FakeLlmServer
let work: string
let runtime: Runtime

beforeAll(async () => {
  llm = await startFakeLlmServer()
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-shared-'))
  runtime = await createRuntime({
    databaseUrl: 'memory://', queueUrl: 'memory://', storageUri: `file://${work}/storage`, databaseOpening: 'first',
    llmProfiles: resolveProfiles({llm: {providers: [
      {name: 'embed', provider_type: 'openai_compatible', base_url: llm.openaiBaseUrl, model: 'fake-embed', dimensions: 8, max_concurrency: 2},
      {name: 'claude', provider_type: 'anthropic', model: 'claude-x', api_key: 'k'},
      {name: 'nodims', provider_type: 'openai_compatible', base_url: llm.openaiBaseUrl, model: 'mystery-embed'},
    ]}}, {}),
  }, {logger: silentLogger, registry: builtinAdapterRegistry()})
}, 60_000)
afterAll(async () => {
  await runtime?.close()
  await llm?.close()
  await rm(work, {recursive: true, force: true})
})

const embeddingPipeline = (segments: number) => pipeline({
  version: '1.0',
  name: 'embed-shared',
  routes: {
    embed: {
      inbound: {queue: '/queue/embed', concurrency: 8},
      adapters: [
        {type: 'fan_out', config: {count: segments, field: 'segment_index'}},
        {type: 'embedding_generator', config: {provider: 'embed', batch_size: 1, slot: 'shared'}},
      ],
    },
  },
  init_message: {route: 'embed', payload: {text: 'a passage about shared limits'}},
})

describe('runtime resources shared by executions', () => {
  it('bounds the embedding calls of two executions together by the profile\'s max_concurrency', async () => {
    llm.reset()
    llm.failNext({delayMs: 100}, 40)
    const started = await Promise.all(['doc-a', 'doc-b'].map((documentId) => runtime.executions.start({
      pipeline: embeddingPipeline(10), initPayload: {document_id: documentId},
    })))
    const outcomes = await Promise.all(started.map((execution) => execution.outcome))
    for (const {result} of outcomes) expect(result.status, JSON.stringify(result.dead_letters)).toBe('completed')
    const embeddingCalls = llm.requests.filter((request) => request.path.endsWith('/embeddings'))
    expect(embeddingCalls).toHaveLength(20)
    // Each execution alone would use the profile's whole concurrency (2): together they had 4.
    expect(llm.maxInFlight).toBeLessThanOrEqual(2)
    expect(llm.maxInFlight).toBe(2)
    const {db} = await runtime.store()
    const rows = await db.query<{document_id: string; n: number; dims: number}>(
      `SELECT document_id, count(*)::int AS n, max(vector_dims(embedding))::int AS dims FROM embeddings WHERE slot = 'shared' GROUP BY document_id ORDER BY document_id`)
    expect(rows.rows).toEqual([{document_id: 'doc-a', n: 10, dims: 8}, {document_id: 'doc-b', n: 10, dims: 8}])
  }, 60_000)

  it('builds one embedder per profile and model, and refuses profiles that cannot embed with a coded error', async () => {
    const embedders = createEmbedders(createLlmClients(resolveProfiles({llm: {providers: [
      {name: 'embed', provider_type: 'openai_compatible', base_url: llm.openaiBaseUrl, model: 'fake-embed', dimensions: 8},
      {name: 'claude', provider_type: 'anthropic', model: 'claude-x', api_key: 'k'},
      {name: 'nodims', provider_type: 'openai_compatible', base_url: llm.openaiBaseUrl, model: 'mystery-embed'},
    ]}}, {})))
    expect(await embedders.get('embed')).toBe(await embedders.get('embed'))
    expect((await embedders.get('embed')).dimensions).toBe(8)
    expect((await embedders.get('nodims', {dimensions: 16})).dimensions).toBe(16)
    await expect(embedders.get('claude')).rejects.toMatchObject({code: 'EMBEDDING_PROVIDER_UNSUPPORTED'})
    await expect(embedders.get('nodims')).rejects.toMatchObject({code: 'EMBEDDING_DIMENSIONS_UNKNOWN'})
    await expect(embedders.get('nope')).rejects.toMatchObject({code: 'EMBEDDING_PROFILE_UNKNOWN'})
    // `default` without settings of its own and `local` are the offline embedder.
    expect((await createEmbedders(createLlmClients(resolveProfiles(undefined, {}))).get('default')).model).toBe('factflow-hash-v2')
    // Search finds the embedder of a slot by its model.
    expect((await embedders.forModel('fake-embed', 8)).model).toBe('fake-embed')
    expect((await embedders.forModel('factflow-hash-v2', 768)).dimensions).toBe(768)
    await expect(embedders.forModel('unknown-model', 8)).rejects.toMatchObject({code: 'EMBEDDING_PROFILE_UNKNOWN'})
  })

  it('retries a 429 of the embeddings endpoint and then embeds', async () => {
    llm.reset()
    llm.failNext({status: 429, retryAfterMs: 50})
    const embedder = await runtime.embedders.get('embed')
    const vectors = await embedder.embed(['one', 'two'])
    expect(vectors.map((vector) => vector.length)).toEqual([8, 8])
    expect(llm.requests.map((request) => request.status)).toEqual([429, 200])
  })

  it('holds every execution\'s requests to a host while a 429 from it pauses the host', async () => {
    const arrivals: Array<{path: string; at: number}> = []
    let refused = false
    let refusedAt = 0
    const site = http.createServer((req, res) => {
      arrivals.push({path: req.url ?? '', at: Date.now()})
      if (!refused && req.url?.startsWith('/a/')) {
        refused = true
        // Answered late, so that requests already sent (the host's first slots) have arrived by
        // then: the pause holds requests not yet started, it cannot recall one on the wire.
        setTimeout(() => {
          refusedAt = Date.now()
          res.writeHead(429, {'retry-after': '1', 'content-type': 'text/plain'}).end('slow down')
        }, 300)
        return
      }
      setTimeout(() => res.writeHead(200, {'content-type': 'text/html'}).end(`<html><body>${req.url}</body></html>`), 20)
    })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
    const scrape = (prefix: string) => pipeline({
      version: '1.0',
      name: `scrape-${prefix}`,
      error_handling: {max_retries: 3, retry_delay_seconds: 0.05, backoff: 'fixed'},
      routes: {
        scrape: {
          inbound: {queue: '/queue/scrape', concurrency: 4},
          adapters: [
            {type: 'fan_out', config: {count: 6, field: 'n'}},
            {type: 'web_scraper', config: {respect_robots_txt: false}},
          ],
        },
      },
      init_message: {route: 'scrape', payload: {}},
    })
    try {
      // Each execution fetches its own page six times: /a/page for the first, /b/page for the second.
      const first = await runtime.executions.start({pipeline: scrape('a'), initPayload: {url: `${base}/a/page`}})
      const second = await runtime.executions.start({pipeline: scrape('b'), initPayload: {url: `${base}/b/page`}})
      const outcomes = await Promise.all([first.outcome, second.outcome])
      for (const {result} of outcomes) expect(result.status).toBe('completed')
      const duringPause = arrivals.filter((arrival) => arrival.at > refusedAt + 50 && arrival.at < refusedAt + 900)
      // Not one request of either execution reached the host while it asked for a second's pause.
      expect(duringPause).toEqual([])
      expect(arrivals.filter((arrival) => arrival.path.startsWith('/b/')).length).toBeGreaterThanOrEqual(6)
      expect(runtime.fetchers.throttle(new URL(base).host)).toBe(runtime.fetchers.throttle(new URL(base).host))
    } finally {
      await new Promise((resolve) => site.close(resolve))
    }
  }, 60_000)
})
