import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadLlmProfiles} from './load-settings.js'
import {requireApiKey} from './profile-checks.js'
import {resolveProfiles} from './settings.js'

describe('resolveProfiles', () => {
  it('has only local, also as default, without settings', () => {
    const profiles = resolveProfiles(undefined, {})
    expect([...profiles.keys()]).toEqual(['local', 'default'])
    expect(profiles.get('default')!.provider_type).toBe('local')
  })

  it('makes the first profile the default and substitutes ${ENV} placeholders', () => {
    const profiles = resolveProfiles({server: {port: 1}, llm: {providers: [
      {name: 'main', provider_type: 'openai', model: 'gpt-4o-mini', api_key: '${MY_KEY}'},
      {name: 'ollama', provider_type: 'openai_compatible', base_url: '${OLLAMA:-http://localhost:11434/v1}', model: 'llama3.1'},
    ]}}, {MY_KEY: 'sk-1'})
    expect(profiles.get('default')).toBe(profiles.get('main'))
    expect(profiles.get('main')).toMatchObject({api_key: 'sk-1', max_concurrency: 50, timeout: 120})
    expect(profiles.get('ollama')!.base_url).toBe('http://localhost:11434/v1')
    expect(profiles.get('local')!.provider_type).toBe('local')
  })

  it('takes the key from the provider\'s usual variable, and names an unset one when the profile is used', () => {
    expect(resolveProfiles({llm: {providers: [{name: 'a', provider_type: 'anthropic'}]}}, {ANTHROPIC_API_KEY: 'k'}).get('a')!.api_key).toBe('k')
    const unset = resolveProfiles({llm: {providers: [{name: 'o', provider_type: 'openai', api_key: '${NOPE_KEY}'}]}}, {OPENAI_API_KEY: 'not-this'}).get('o')!
    expect(() => requireApiKey(unset)).toThrow(/\$NOPE_KEY is not set/)
  })

  it('rejects unknown provider types, unknown keys and duplicate names with SETTINGS_INVALID', () => {
    expect(() => resolveProfiles({llm: {providers: [{name: 'x', provider_type: 'bedrock'}]}}, {})).toThrow(/llm\.providers\.0\.provider_type/)
    expect(() => resolveProfiles({llm: {providers: [{name: 'x', provider_type: 'openai', apikey: 'k'}]}}, {})).toThrow(/SETTINGS|invalid/)
    expect(() => resolveProfiles({llm: {providers: [{name: 'x', provider_type: 'local'}, {name: 'x', provider_type: 'local'}]}}, {}))
      .toThrow(expect.objectContaining({code: 'SETTINGS_INVALID'}))
  })
})

describe('loadLlmProfiles', () => {
  it('reads FACTFLOW_SETTINGS, else ./factflow.yaml, else only local', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'factflow-llm-'))
    try {
      expect([...(await loadLlmProfiles({cwd: dir, env: {}})).keys()]).toEqual(['local', 'default'])
      await writeFile(path.join(dir, 'factflow.yaml'), 'llm:\n  providers:\n    - {name: here, provider_type: local}\n')
      expect((await loadLlmProfiles({cwd: dir, env: {}})).get('default')!.name).toBe('here')
      await writeFile(path.join(dir, 'other.yaml'), 'llm:\n  providers:\n    - {name: there, provider_type: local}\n')
      expect((await loadLlmProfiles({cwd: dir, env: {FACTFLOW_SETTINGS: 'other.yaml'}})).has('there')).toBe(true)
      await expect(loadLlmProfiles({cwd: dir, env: {FACTFLOW_SETTINGS: 'missing.yaml'}})).rejects.toMatchObject({code: 'SETTINGS_NOT_FOUND'})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
