import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadAppSettings, maskedSettings} from './app-settings.js'

describe('loadAppSettings', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-settings-')) })
  afterAll(async () => { await rm(dir, {recursive: true, force: true}) })

  it('uses the spec defaults with no file and no env', async () => {
    const settings = await loadAppSettings({cwd: dir, env: {}})
    expect(settings).toMatchObject({
      server: {host: '127.0.0.1', port: 8000}, database: {url: './output/db'}, queue: {url: 'memory://'},
      storage: {uri: 'file://./output/storage'}, limits: {max_concurrent_executions: 8}, pipelines: {dir: 'config/pipelines'},
      network: {allow_private: false, allow_link_local: false}, source: null,
    })
    expect([...settings.llm.profiles.keys()].sort()).toEqual(['default', 'local'])
  })

  it('reads the shipped example, substitutes ${VAR}, and lets FACTFLOW_* variables win', async () => {
    const example = path.join(import.meta.dirname, '../../config/factflow.example.yaml')
    const settings = await loadAppSettings({file: example, cwd: dir, env: {OPENAI_API_KEY: 'sk-secret-1', FACTFLOW_PORT: '9001', FACTFLOW_ALLOW_PRIVATE: 'true'}})
    expect(settings.server.port).toBe(9001)
    expect(settings.network.allow_private).toBe(true)
    expect(settings.llm.profiles.get('openai')).toMatchObject({api_key: 'sk-secret-1', max_concurrency: 8})
  })

  it('never shows a secret in the masked settings', async () => {
    const file = path.join(dir, 'secret.yaml')
    await writeFile(file, 'database: {url: "postgres://app:hunter2@db:5432/factflow"}\nllm: {providers: [{name: o, provider_type: openai, api_key: "${KEY}"}]}\n')
    const masked = JSON.stringify(maskedSettings(await loadAppSettings({file, cwd: dir, env: {KEY: 'sk-very-secret'}})))
    expect(masked).not.toContain('hunter2')
    expect(masked).not.toContain('sk-very-secret')
    expect(masked).toContain('postgres://app:***@db:5432/factflow')
  })

  it('names the bad key of an invalid file, and a named file that is missing', async () => {
    const file = path.join(dir, 'bad.yaml')
    await writeFile(file, 'limits: {max_concurrent_executions: 0}\n')
    await expect(loadAppSettings({file, cwd: dir, env: {}})).rejects.toMatchObject({code: 'SETTINGS_INVALID', message: expect.stringContaining('limits.max_concurrent_executions')})
    await writeFile(file, 'serverr: {port: 1}\n')
    await expect(loadAppSettings({file, cwd: dir, env: {}})).rejects.toMatchObject({code: 'SETTINGS_INVALID'})
    await expect(loadAppSettings({file: path.join(dir, 'nope.yaml'), cwd: dir, env: {}})).rejects.toMatchObject({code: 'SETTINGS_NOT_FOUND'})
    await expect(loadAppSettings({cwd: dir, env: {FACTFLOW_PORT: 'x'}})).rejects.toMatchObject({code: 'SETTINGS_INVALID'})
  })
})
