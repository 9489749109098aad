import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createHarness, pipeline} from '../helpers/engine-harness.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

let server: FakeLlmServer
let dir: string
const savedSettings = process.env.FACTFLOW_SETTINGS

beforeAll(async () => {
  server = await startFakeLlmServer({respond: (request) => `SOURCE_LANGUAGE: en\n\n${request.messages.at(-1)!.content.toUpperCase()}`})
  dir = await mkdtemp(path.join(tmpdir(), 'factflow-llm-run-'))
  await writeFile(path.join(dir, 'settings.yaml'), [
    'llm:',
    '  providers:',
    '    - name: fake',
    '      provider_type: openai_compatible',
    `      base_url: ${server.openaiBaseUrl}`,
    '      model: fake-model',
    '      max_concurrency: 8',
  ].join('\n'))
  process.env.FACTFLOW_SETTINGS = path.join(dir, 'settings.yaml')
})
afterAll(async () => {
  if (savedSettings === undefined) delete process.env.FACTFLOW_SETTINGS
  else process.env.FACTFLOW_SETTINGS = savedSettings
  await server.close()
  await rm(dir, {recursive: true, force: true})
})

describe('LLM adapters in a pipeline run', () => {
  it('reads the profile from FACTFLOW_SETTINGS and runs translator then transform on every message', async () => {
    const harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: {max_retries: 1, retry_delay_seconds: 0.01, backoff: 'fixed', dead_letter_queue: '/queue/dlq'},
      routes: {
        a: {
          inbound: {queue: '/queue/a'},
          adapters: [
            {type: 'fan_out', config: {count: 3}},
            {type: 'llm_translator', config: {provider: 'fake', target_language: 'de'}},
            {type: 'llm_transform', config: {provider: 'default', prompt: 'Summarise: {{text}}', output_field: 'summary'}},
          ],
        },
      },
      init_message: {route: 'a', payload: {text: 'hello'}},
    }))
    try {
      await harness.orchestrator.start()
      const result = await harness.orchestrator.result
      expect(result.status).toBe('completed')
      expect(server.requestCount).toBe(6)
      const prompts = server.requests.map((request) => (request.body as {messages: Array<{content: string}>}).messages.at(-1)!.content)
      expect(prompts.filter((prompt) => prompt === 'Summarise: HELLO')).toHaveLength(3)
    } finally {
      await harness.cleanup()
    }
  })
})
