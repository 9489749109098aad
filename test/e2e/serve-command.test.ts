import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {slowFolderPipelineYaml} from '../helpers/file-read-pipeline.js'
import {CONTAINER_ENGINE, type Served, startServe} from '../helpers/serve-process.js'
import {readSse} from '../helpers/sse-client.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
async function api(served: Served, method: string, route: string, body?: unknown): Promise<any> {
  const response = await fetch(`${served.url}/api/v1${route}`, {
    method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {status: response.status, body: text ? JSON.parse(text) : null}
}

const FILES = 20

describe('factflow serve --embedded (built binary)', () => {
  let work: string
  let served: Served | undefined
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-serve-'))
    await mkdir(path.join(work, 'corpus'))
    for (let i = 0; i < FILES; i++) await writeFile(path.join(work, 'corpus', `doc-${i}.md`), `# Doc ${i}\n\nBody ${i}\n`)
  })
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  const pipeline = (delayMs: number) => slowFolderPipelineYaml(path.join(work, 'corpus'), delayMs)

  it('keeps configs and executions across a restart, and resumes an execution a SIGKILL interrupted with every artefact once', async () => {
    served = await startServe(work)
    // testcontainers' probe (no Docker engine on these machines) fails fast, then PGlite is used.
    if (!CONTAINER_ENGINE) expect(served.stderr()).toMatch(/no container runtime found \(probed in \d+ ms\); using PGlite under \.\/output\/db/)
    expect(served.stderr()).toMatch(/pipelines: \d+ of \d+ .*valid/)
    const config = await api(served, 'POST', '/configs', {name: 'slow-folder', config_yaml: pipeline(10)})
    expect(config.status).toBe(201)
    const first = await api(served, 'POST', `/configs/${config.body.id}/run?tag=first`)
    expect(first.status).toBe(201)
    const events = await readSse(`${served.url}/api/v1/executions/first/events`)
    expect(events.at(-1)).toMatchObject({event: 'execution.completed'})

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    served = await startServe(work)
    expect((await api(served, 'GET', '/executions/first')).body).toMatchObject({id: first.body.id, status: 'completed'})
    expect((await api(served, 'GET', `/configs/${config.body.id}`)).body).toMatchObject({name: 'slow-folder', is_runnable: true})

    await api(served, 'PUT', `/configs/${config.body.id}`, {config_yaml: pipeline(300)})
    const second = await api(served, 'POST', `/configs/${config.body.id}/run?tag=second`)
    await readSse(`${served.url}/api/v1/executions/second/events`, {
      stopAfter: (event) => event.event === 'stats' && (event.data.routes.read?.completed ?? 0) >= 3,
    })
    served.child.kill('SIGKILL')
    await served.exited

    served = await startServe(work)
    expect(served.stderr()).toMatch(/recovered 1 execution/)
    expect((await api(served, 'GET', '/executions/second')).body.status).toBe('interrupted')
    const resumed = await api(served, 'POST', '/executions/second/resume')
    expect(resumed.status).toBe(200)
    const rest = await readSse(`${served.url}/api/v1/executions/second/events`)
    expect(rest.at(-1)).toMatchObject({event: 'execution.completed'})
    expect((await api(served, 'GET', '/executions/second')).body.status).toBe('completed')
    expect((await api(served, 'GET', '/executions/second/stats')).body.totals).toMatchObject({dead_lettered: 0})
    const stored = await readdir(path.join(work, 'output', 'storage', 'executions', second.body.id, 'read', 'file_reader'))
    expect(stored.filter((name) => !name.endsWith('.meta.json'))).toHaveLength(FILES)

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    served = undefined
  }, 600_000)
})
