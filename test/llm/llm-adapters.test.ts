import {createHash} from 'node:crypto'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {llmAdapters} from '../../src/adapters/llm/catalog.js'
import type {Adapter, AdapterModule, AdapterOutput} from '../../src/adapters/types.js'
import {createLlmClients} from '../../src/llm/create-chat-client.js'
import {LOCAL_NOTE} from '../../src/llm/local-chat-client.js'
import {resolveProfiles} from '../../src/llm/settings.js'
import type {FileObjectStore} from '../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, resourcesFor} from '../adapters/markdown/context.js'
import {type FakeLlmServer, type FakeResponder, startFakeLlmServer} from '../helpers/fake-llm-server.js'

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
beforeEach(() => server.reset())

/** An adapter built through its catalog declaration, with profiles `fake` (OpenAI API) and `claude` (Anthropic API). */
async function adapterFor(type: string, config: Record<string, unknown>): Promise<Adapter> {
  const {definition, module} = await load(type)
  const llm = createLlmClients(resolveProfiles({llm: {providers: [
    {name: 'fake', provider_type: 'openai', model: 'gpt-test', api_key: '${FAKE_KEY}', base_url: server.openaiBaseUrl},
    {name: 'claude', provider_type: 'anthropic', model: 'claude-test', api_key: 'k', base_url: server.url},
  ]}}, {FAKE_KEY: 'sk-fake'}))
  return module.createAdapter(definition.configSchema.parse(config), resourcesFor(storage, new Map(), llm))
}

async function load(type: string) {
  const definition = llmAdapters.find((candidate) => candidate.type === type)!
  return {definition, module: (await definition.load!()) as unknown as AdapterModule<unknown>}
}

async function run(adapter: Adapter, payload: Record<string, unknown>): Promise<AdapterOutput> {
  return (await adapter.process(contextFor(storage, payload, {stage: 'llm'}))) as AdapterOutput
}

const upperTranslator: FakeResponder = (request) => `SOURCE_LANGUAGE: en\n\n${request.messages.at(-1)!.content.toUpperCase()}`

describe('llm_translator', () => {
  const markdown = [
    '# Install guide',
    '',
    'Run the installer, then check the version:',
    '',
    '```bash',
    'npm install --save-exact factflow   # keep this',
    'factflow --version',
    '```',
    '',
    '- first item',
    '- second item with `inline code`',
    '',
    '~~~python title="x.py"',
    'print("hello")\r',
    '~~~',
    'The end.',
    '',
  ].join('\n')

  it('translates the prose and keeps code blocks byte-identical', async () => {
    server.setResponder(upperTranslator)
    const adapter = await adapterFor('llm_translator', {provider: 'fake', target_language: 'de'})
    const output = await run(adapter, {markdown, document_id: 'd1'})
    expect(output.payload.markdown).toBe([
      '# INSTALL GUIDE',
      '',
      'RUN THE INSTALLER, THEN CHECK THE VERSION:',
      '',
      '```bash',
      'npm install --save-exact factflow   # keep this',
      'factflow --version',
      '```',
      '',
      '- FIRST ITEM',
      '- SECOND ITEM WITH `INLINE CODE`',
      '',
      '~~~python title="x.py"',
      'print("hello")\r',
      '~~~',
      'THE END.',
      '',
    ].join('\n'))
    expect(output.payload).toMatchObject({document_id: 'd1', source_language: 'en', target_language: 'de'})
    const sent = (server.requests[0]!.body as {messages: Array<{role: string; content: string}>}).messages
    expect(sent[0]!.role).toBe('system')
    expect(sent[0]!.content).toContain('into de')
    expect(sent[1]!.content).not.toContain('npm install')
    expect(sent[1]!.content).toContain('@@CODE_0@@')
  })

  it('translates `text` through the Anthropic API and says `auto` when the model names no source language', async () => {
    server.setResponder((request) => request.messages.at(-1)!.content.toUpperCase())
    const adapter = await adapterFor('llm_translator', {provider: 'claude', target_language: 'French', system_prompt: 'Translate tersely.'})
    const output = await run(adapter, {text: 'good morning'})
    expect(output.payload).toMatchObject({text: 'GOOD MORNING', source_language: 'auto', target_language: 'French'})
    expect(server.requests[0]!.path).toBe('/v1/messages')
  })

  it('translates a long document in paragraph chunks and joins them with the original blank lines', async () => {
    server.setResponder((request) => `SOURCE_LANGUAGE: fr\n\n${request.messages.at(-1)!.content.toUpperCase()}\n\n`)
    const adapter = await adapterFor('llm_translator', {provider: 'fake', target_language: 'de'})
    const paragraphs = Array.from({length: 40}, (_, i) => `paragraph ${i} ${'lorem ipsum '.repeat(40)}`)
    const long = `${paragraphs.slice(0, 20).join('\n\n')}\n\n\`\`\`\nkeep me\n\`\`\`\n\n\n${paragraphs.slice(20).join('\n\n')}\n`
    const output = await run(adapter, {markdown: long})
    expect(server.requestCount).toBeGreaterThanOrEqual(3)
    expect(output.payload.markdown).toBe(long.toUpperCase().replace('KEEP ME', 'keep me'))
    expect(output.payload.source_language).toBe('fr')
    const usage = output.metadata!.llm_usage as {output_tokens: number}
    expect(usage.output_tokens).toBeGreaterThan(40 * 80)
  })

  it('fails retryably when the model drops a code block', async () => {
    server.setResponder(() => 'SOURCE_LANGUAGE: en\n\nONLY PROSE')
    const adapter = await adapterFor('llm_translator', {provider: 'fake', target_language: 'de'})
    await expect(run(adapter, {markdown: 'Text\n\n```\ncode\n```\n'})).rejects.toMatchObject({code: 'LLM_OUTPUT_INVALID', retryable: true})
  })

  it('makes no call for a document that is only code', async () => {
    const adapter = await adapterFor('llm_translator', {provider: 'fake', target_language: 'de'})
    const output = await run(adapter, {markdown: '```\nonly code\n```\n'})
    expect(output.payload.markdown).toBe('```\nonly code\n```\n')
    expect(server.requestCount).toBe(0)
  })

  it('passes text through unchanged offline with the local profile, and says so', async () => {
    const adapter = await adapterFor('llm_translator', {provider: 'local', target_language: 'de'})
    const output = await run(adapter, {markdown})
    expect(output.payload).toMatchObject({markdown, source_language: 'auto', target_language: 'de'})
    expect(output.metadata).toMatchObject({llm_profile: 'local', llm_note: LOCAL_NOTE})
    expect(server.requestCount).toBe(0)
  })
})

describe('llm_transform', () => {
  const schema = {
    type: 'object',
    required: ['summary', 'score'],
    properties: {summary: {type: 'string'}, score: {type: 'integer', minimum: 0, maximum: 5}},
    additionalProperties: false,
  }

  it('fills placeholders from dotted payload paths and stores the text answer', async () => {
    server.setResponder((request) => `answer to: ${request.messages[0]!.content}`)
    const adapter = await adapterFor('llm_transform', {provider: 'fake', prompt: 'Title {{title}} by {{meta.author}} tags {{tags}}', output_field: 'summary'})
    const output = await run(adapter, {title: 'Hello', meta: {author: 'Ada'}, tags: ['a', 'b']})
    expect(output.payload).toMatchObject({title: 'Hello', summary: 'answer to: Title Hello by Ada tags ["a","b"]'})
    expect((server.requests[0]!.body as {temperature: number}).temperature).toBe(0)
    expect(output.metadata).toMatchObject({llm_profile: 'fake', llm_usage: {input_tokens: 6, output_tokens: 8}})
  })

  it('rewriting the body (`text`) gives it a new content_hash and keeps the old one as source_content_hash', async () => {
    server.setResponder(() => 'a shorter text')
    const adapter = await adapterFor('llm_transform', {provider: 'fake', prompt: 'Shorten {{text}}', output_field: 'text'})
    const output = await run(adapter, {text: 'a long text', content_hash: 'old-hash'})
    expect(output.payload).toMatchObject({
      text: 'a shorter text', source_content_hash: 'old-hash',
      content_hash: createHash('sha256').update('a shorter text').digest('hex'),
    })
    const aside = await run(await adapterFor('llm_transform', {provider: 'fake', prompt: 'Tag {{text}}', output_field: 'tags'}),
      {text: 'a long text', content_hash: 'old-hash'})
    expect(aside.payload).toMatchObject({content_hash: 'old-hash', tags: 'a shorter text'})
    expect(aside.payload).not.toHaveProperty('source_content_hash')
  })

  it('refuses a message that lacks a placeholder\'s field, without calling the model', async () => {
    const adapter = await adapterFor('llm_transform', {provider: 'fake', prompt: 'Summarise {{markdown}}'})
    await expect(run(adapter, {text: 'x'})).rejects.toMatchObject({code: 'LLM_PROMPT_FIELD_MISSING', retryable: false})
    expect(server.requestCount).toBe(0)
  })

  it('parses a JSON answer that is valid against json_schema', async () => {
    server.setResponder(() => '```json\n{"summary": "short", "score": 4}\n```')
    const adapter = await adapterFor('llm_transform', {provider: 'fake', prompt: 'Rate {{text}}', json_schema: schema})
    const output = await run(adapter, {text: 'x'})
    expect(output.payload.llm_output).toEqual({summary: 'short', score: 4})
    const system = (server.requests[0]!.body as {messages: Array<{content: string}>}).messages[0]!.content
    expect(system).toContain('"required":["summary","score"]')
  })

  it('repairs an invalid JSON answer by sending the problem back once', async () => {
    server.setResponder((request) => (request.messages.length === 1 ? '{"summary": "s", "score": 9}' : '{"summary": "s", "score": 5}'))
    const adapter = await adapterFor('llm_transform', {provider: 'claude', prompt: 'Rate {{text}}', json_schema: schema, output_field: 'rating'})
    const output = await run(adapter, {text: 'x'})
    expect(output.payload.rating).toEqual({summary: 's', score: 5})
    expect(server.requestCount).toBe(2)
    const repair = (server.requests[1]!.body as {messages: Array<{role: string; content: string}>}).messages
    expect(repair.map((message) => message.role)).toEqual(['user', 'assistant', 'user'])
    expect(repair[2]!.content).toContain('/score must be <= 5')
  })

  it('fails terminally with LLM_OUTPUT_INVALID after two bad answers', async () => {
    server.setResponder(() => 'Sure! Here is the JSON you asked for.')
    const adapter = await adapterFor('llm_transform', {provider: 'fake', prompt: 'Rate {{text}}', json_schema: schema})
    await expect(run(adapter, {text: 'x'})).rejects.toMatchObject({code: 'LLM_OUTPUT_INVALID', retryable: false})
    expect(server.requestCount).toBe(2)
  })

  it('refuses a json_schema that is not a JSON Schema when the adapter is created', async () => {
    await expect(adapterFor('llm_transform', {provider: 'fake', prompt: 'x', json_schema: {type: 'no-such-type'}})).rejects.toMatchObject({code: 'LLM_JSON_SCHEMA_INVALID'})
  })

  it('works offline with the default profile when no settings declare one', async () => {
    const {definition, module} = await load('llm_transform')
    const adapter = await module.createAdapter(definition.configSchema.parse({prompt: 'Summarise {{text}}'}), resourcesFor(storage, new Map(), createLlmClients(resolveProfiles(undefined, {}))))
    const output = await run(adapter, {text: 'offline text'})
    expect(output.payload.llm_output).toBe('Summarise offline text')
    expect(output.metadata).toMatchObject({llm_profile: 'local', llm_note: LOCAL_NOTE})
  })
})
