import {createHash} from 'node:crypto'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {llmAdapters} from '../../src/adapters/llm/catalog.js'
import type {AdapterModule, AdapterOutput} from '../../src/adapters/types.js'
import {createLlmClients} from '../../src/llm/create-chat-client.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import type {FileObjectStore} from '../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, resourcesFor} from '../adapters/markdown/context.js'
import {type FakeLlmServer, type FakeResponder, startFakeLlmServer} from '../helpers/fake-llm-server.js'
import {databaseTargets, type MigratedDatabase} from '../helpers/migrated-database.js'

const EXECUTION = '01890a5d-ac96-774b-bcce-b302099a8057'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const upperTranslator: FakeResponder = (request) => `SOURCE_LANGUAGE: en\n\n${request.messages.at(-1)!.content.toUpperCase()}`

let server: FakeLlmServer
let storage: FileObjectStore
let removeStorage: () => Promise<void>

beforeAll(async () => {
  server = await startFakeLlmServer()
  ;({storage, remove: removeStorage} = await createScratchStorage())
})
afterAll(async () => {
  await server.close()
  await removeStorage()
})

/** Profiles `fake` (the first, so also `default`) and `fake-large` on the fake server; `defaultModel` is fake's model. */
function profiles(defaultModel = 'fake-small') {
  return resolveProfiles({llm: {providers: [
    {name: 'fake', provider_type: 'openai_compatible', base_url: server.openaiBaseUrl, model: defaultModel},
    {name: 'fake-large', provider_type: 'openai_compatible', base_url: server.openaiBaseUrl, model: 'fake-large'},
  ]}}, {})
}

describe.each(await databaseTargets())('stored LLM answers on $name', ({skip, open}) => {
  let target: MigratedDatabase

  beforeAll(async () => {
    if (!skip) target = await open()
  }, 60_000)
  afterAll(async () => {
    await target?.dispose()
  })
  beforeEach(async () => {
    server.reset()
    server.setResponder(upperTranslator)
    if (!skip) await target.db.query('DELETE FROM stage_results')
  })

  /**
   * One run of one adapter over `payload`: a fresh adapter and execution state, as each
   * `factflow run` builds them; only the database carries answers from run to run.
   */
  async function run(type: string, config: Record<string, unknown>, payload: Record<string, unknown>, profileSet = profiles()) {
    const definition = llmAdapters.find((candidate) => candidate.type === type)!
    const module = (await definition.load!()) as unknown as AdapterModule<unknown>
    const adapter = await module.createAdapter(definition.configSchema.parse(config), {...resourcesFor(storage, new Map(), createLlmClients(profileSet)), database: async () => target.db})
    const context = contextFor(storage, payload, {stage: 'llm'})
    const before = server.requestCount
    try {
      const output = (await adapter.process({...context, executionId: EXECUTION})) as AdapterOutput
      return {output, skipped: context.skipped, requests: server.requestCount - before}
    } finally {
      await adapter.close?.()
    }
  }

  const stored = async () => (await target.db.query<{n: number}>('SELECT count(*)::int AS n FROM stage_results')).rows[0]!.n

  describe('llm_translator', () => {
    const translate = (payload: Record<string, unknown>, config: Record<string, unknown> = {}, defaultModel?: string) =>
      run('llm_translator', {provider: 'fake', target_language: 'de', ...config}, payload, profiles(defaultModel))

    it.skipIf(skip)('asks the model nothing when the same text comes again, emitting the same payload marked unchanged', async () => {
      const first = await translate({markdown: '# Hello\n\nA first page.', document_id: 'd1'})
      expect(first.requests).toBe(1)
      expect(first.skipped).toEqual([])
      const second = await translate({markdown: '# Hello\n\nA first page.', document_id: 'd1'})
      expect(second.requests).toBe(0)
      expect(second.skipped).toEqual(['unchanged'])
      expect(second.output.payload).toEqual(first.output.payload)
      expect(second.output.metadata).toEqual({llm_profile: 'fake'})
    })

    it.skipIf(skip)('asks again for another target language, model, max_tokens or system prompt', async () => {
      const text = {text: 'Some words to translate.'}
      expect((await translate(text)).requests).toBe(1)
      for (const config of [{target_language: 'fr'}, {model: 'fake-large'}, {max_tokens: 100}, {system_prompt: 'Translate formally.'}]) {
        const again = await translate(text, config)
        expect(again.requests, JSON.stringify(config)).toBe(1)
        expect(again.skipped).toEqual([])
      }
      expect(await stored()).toBe(5)
    })

    it.skipIf(skip)('shares answers between names of one profile, and asks again when the default profile\'s model changes', async () => {
      const text = {text: 'Words for the default profile.'}
      expect((await translate(text, {provider: 'fake'})).requests).toBe(1)
      expect((await translate(text, {provider: 'default'})).requests).toBe(0)
      expect((await translate(text, {provider: 'default'}, 'fake-medium')).requests).toBe(1)
    })

    it.skipIf(skip)('needs no API key for a run whose answers are all stored', async () => {
      const vendor = (env: Record<string, string>) => resolveProfiles({llm: {providers: [
        {name: 'vendor', provider_type: 'openai', base_url: server.openaiBaseUrl, model: 'gpt-test', api_key: '${VENDOR_KEY}'},
      ]}}, env)
      const config = {provider: 'vendor', target_language: 'de'}
      expect((await run('llm_translator', config, {text: 'Paid for once.'}, vendor({VENDOR_KEY: 'sk-test'}))).requests).toBe(1)
      expect(await run('llm_translator', config, {text: 'Paid for once.'}, vendor({}))).toMatchObject({requests: 0, skipped: ['unchanged']})
      await expect(run('llm_translator', config, {text: 'Never paid for.'}, vendor({}))).rejects.toMatchObject({code: 'LLM_API_KEY_MISSING'})
    })

    it.skipIf(skip)('stores nothing when the model fails, so the next run asks again', async () => {
      server.failNext({status: 400, message: 'context length exceeded'})
      await expect(translate({text: 'A failing page.'})).rejects.toMatchObject({code: 'LLM_HTTP_400'})
      expect(await stored()).toBe(0)
      const next = await translate({text: 'A failing page.'})
      expect(next).toMatchObject({requests: 1, skipped: []})
      expect(await stored()).toBe(1)
    })

    it.skipIf(skip)('stores no translation that dropped a code block', async () => {
      server.setResponder(() => 'SOURCE_LANGUAGE: en\n\nEVERYTHING, BUT NO CODE')
      const markdown = 'Run this:\n\n```sh\nfactflow run\n```\n\nThen wait.'
      await expect(translate({markdown})).rejects.toMatchObject({code: 'LLM_OUTPUT_INVALID', retryable: true})
      expect(await stored()).toBe(0)
    })

    it.skipIf(skip)('gives the translation its own content_hash and keeps the input\'s as source_content_hash', async () => {
      const {output} = await translate({text: 'hash me', content_hash: sha256('hash me')})
      expect(output.payload).toMatchObject({text: 'HASH ME', content_hash: sha256('HASH ME'), source_content_hash: sha256('hash me')})
      const reused = await translate({text: 'hash me', content_hash: sha256('hash me')})
      expect(reused.output.payload).toEqual(output.payload)
    })

    it.skipIf(skip)('passes text without prose through without a call and stores nothing', async () => {
      const onlyCode = {markdown: '```js\nconsole.log(1)\n```\n'}
      expect(await translate(onlyCode)).toMatchObject({requests: 0, skipped: []})
      expect(await stored()).toBe(0)
    })
  })

  describe('llm_transform', () => {
    const transform = (payload: Record<string, unknown>, config: Record<string, unknown> = {}) =>
      run('llm_transform', {provider: 'fake', prompt: 'Summarise: {{text}}', output_field: 'summary', ...config}, payload)

    it.skipIf(skip)('asks nothing for the same rendered prompt, and again when the prompt\'s fields change', async () => {
      server.setResponder((request) => `summary of ${request.messages.at(-1)!.content.length} characters`)
      const first = await transform({text: 'a page', unrelated: 1})
      expect(first.requests).toBe(1)
      const second = await transform({text: 'a page', unrelated: 2})
      expect(second).toMatchObject({requests: 0, skipped: ['unchanged']})
      expect(second.output.payload).toEqual({text: 'a page', unrelated: 2, summary: first.output.payload.summary})
      expect((await transform({text: 'another page'})).requests).toBe(1)
    })

    it.skipIf(skip)('asks again for another temperature or output field', async () => {
      await transform({text: 'a page'})
      expect((await transform({text: 'a page'}, {temperature: 0.7})).requests).toBe(1)
      expect((await transform({text: 'a page'}, {output_field: 'abstract'})).requests).toBe(1)
    })

    it.skipIf(skip)('stores only answers that passed json_schema', async () => {
      const config = {prompt: 'Classify: {{text}}', json_schema: {type: 'object', required: ['topic'], properties: {topic: {type: 'string'}}}}
      server.setResponder(() => 'not json at all')
      await expect(transform({text: 'queues'}, config)).rejects.toMatchObject({code: 'LLM_OUTPUT_INVALID'})
      expect(await stored()).toBe(0)
      server.setResponder(() => '{"topic": "messaging"}')
      expect((await transform({text: 'queues'}, config)).output.payload.summary).toEqual({topic: 'messaging'})
      const reused = await transform({text: 'queues'}, config)
      expect(reused).toMatchObject({requests: 0, skipped: ['unchanged'], output: {payload: {summary: {topic: 'messaging'}}}})
    })
  })
})
