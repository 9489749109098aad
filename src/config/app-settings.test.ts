import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadAppSettings, maskedSettings, networkPolicyOf} from './app-settings.js'

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

  it('opens private ranges and the working directory for factflow run, neither for factflow serve', async () => {
    const serve = await loadAppSettings({cwd: dir, env: {}})
    const run = await loadAppSettings({cwd: dir, env: {}, role: 'run'})
    expect(networkPolicyOf(serve)).toEqual({allowPrivate: false, allowLinkLocal: false, allowAddresses: []})
    expect(networkPolicyOf(run)).toEqual({allowPrivate: true, allowLinkLocal: false, allowAddresses: []})
    expect([serve.files.root, run.files.root]).toEqual([null, dir])
    expect(serve.pipelines.env).toEqual([])
    const example = path.join(import.meta.dirname, '../../config/factflow.example.yaml')
    expect((await loadAppSettings({file: example, cwd: dir, env: {}, role: 'run'})).network.allow_private).toBe(true)
  })

  it('reads allow_addresses and pipelines.env from the file or the variables, and refuses what is not an address or a name', async () => {
    const file = path.join(dir, 'access.yaml')
    await writeFile(file, 'network: {allow_addresses: [10.1.2.3, "10.20.0.0/16", "fd00::/8"]}\npipelines: {env: [SHARED_TOKEN]}\nfiles: {root: docs}\n')
    const settings = await loadAppSettings({file, cwd: dir, env: {}})
    expect(settings.network.allow_addresses).toEqual(['10.1.2.3', '10.20.0.0/16', 'fd00::/8'])
    expect(settings.pipelines.env).toEqual(['SHARED_TOKEN'])
    expect(settings.files.root).toBe(path.join(dir, 'docs'))
    const fromEnv = await loadAppSettings({file, cwd: dir, env: {FACTFLOW_ALLOW_ADDRESSES: '192.168.1.10, 127.0.0.1', FACTFLOW_PIPELINE_ENV: 'A,B'}})
    expect(fromEnv.network.allow_addresses).toEqual(['192.168.1.10', '127.0.0.1'])
    expect(fromEnv.pipelines.env).toEqual(['A', 'B'])
    await expect(loadAppSettings({cwd: dir, env: {FACTFLOW_ALLOW_ADDRESSES: 'intranet.local'}})).rejects.toMatchObject({code: 'SETTINGS_INVALID', message: expect.stringContaining('intranet.local')})
    await writeFile(file, 'pipelines: {env: ["not a name"]}\n')
    await expect(loadAppSettings({file, cwd: dir, env: {}})).rejects.toMatchObject({code: 'SETTINGS_INVALID', message: expect.stringContaining('pipelines.env')})
  })
})
