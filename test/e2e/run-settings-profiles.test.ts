import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

let server: FakeLlmServer
let work: string

const PIPELINE = `
version: "1.0"
routes:
  shout:
    inbound: {queue: /queue/shout}
    adapters:
      - type: llm_transform
        config: {provider: loud, prompt: "Shout {{text}}", output_field: answer}
init_message:
  route: shout
  payload: {text: hello}
`

beforeAll(async () => {
  server = await startFakeLlmServer({respond: (request) => request.messages.at(-1)!.content.toUpperCase()})
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-e2e-profiles-'))
  await writeFile(path.join(work, 'pipeline.yaml'), PIPELINE)
  await writeFile(path.join(work, 'settings.yaml'), [
    'llm:',
    '  providers:',
    '    - name: loud',
    '      provider_type: openai_compatible',
    `      base_url: ${server.openaiBaseUrl}`,
    '      model: fake-model',
  ].join('\n'))
  await writeFile(path.join(work, 'broken.yaml'), 'llm:\n  providers:\n    - name: x\n      provider_type: nope\n')
})
afterAll(async () => {
  await server.close()
  await rm(work, {recursive: true, force: true})
})

describe('factflow run with LLM profiles from settings (built binary)', () => {
  it('runs a pipeline that names a profile of the settings FACTFLOW_SETTINGS points at', async () => {
    const result = await runCli(['run', 'pipeline.yaml', '--json'], {cwd: work, env: {FACTFLOW_SETTINGS: 'settings.yaml'}, timeoutMs: 120_000})
    expect(result.stderr).not.toMatch(/E304/)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({status: 'completed', routes: {shout: {completed: 1}}})
    expect(server.requests.length).toBeGreaterThan(0)
  })

  it('refuses the profile without those settings (E304, exit 2), and says what is wrong with invalid settings', async () => {
    const missing = await runCli(['run', 'pipeline.yaml', '--json'], {cwd: work, env: {FACTFLOW_SETTINGS: undefined}, timeoutMs: 60_000})
    expect(missing.code).toBe(2)
    expect(missing.stdout + missing.stderr).toMatch(/E304/)
    const broken = await runCli(['run', 'pipeline.yaml', '--json'], {cwd: work, env: {FACTFLOW_SETTINGS: 'broken.yaml'}, timeoutMs: 60_000})
    expect(broken.code).toBe(2)
    expect(broken.stdout + broken.stderr).toMatch(/SETTINGS_INVALID/)
  })
})
