import {serve} from '@hono/node-server'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readSse} from '../helpers/sse-client.js'
import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

describe('execution events over a real socket', () => {
  let server: TestServer
  let http: ReturnType<typeof serve>
  let base: string
  beforeAll(async () => {
    server = await startTestServer()
    http = await new Promise((resolve) => { const s = serve({fetch: server.app.fetch, hostname: '127.0.0.1', port: 0}, () => resolve(s)) })
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  }, 120_000)
  afterAll(async () => {
    await new Promise<void>((resolve) => http?.close(() => resolve()))
    await server?.close()
  })

  it('resumes after Last-Event-ID with nothing lost or repeated, and ends with the terminal event', async () => {
    const config = await server.call('POST', '/api/v1/configs', {name: 'sse', config_yaml: testPipelineYaml({count: 40, delayMs: 60})})
    const started = await server.call('POST', `/api/v1/configs/${config.body.id}/run`)
    const url = `${base}/api/v1/executions/${started.body.id}/events`
    const whole = readSse(url)
    const first = await readSse(url, {stopAfter: (_event, count) => count === 2})
    expect(first).toHaveLength(2)
    // Reconnect while the execution still runs, after the last event received.
    const rest = await readSse(url, {lastEventId: first.at(-1)!.id})
    const resumed = [...first, ...rest]
    const reference = await whole
    expect(reference.at(-1)!.event).toBe('execution.completed')
    expect(reference.filter((e) => e.event === 'stats').length).toBeGreaterThan(2)
    expect(resumed.map((e) => e.id)).toEqual(reference.map((e) => e.id))
    expect(new Set(resumed.map((e) => e.id)).size).toBe(resumed.length)
    const ids = resumed.map((e) => e.id!)
    expect([...ids].sort()).toEqual(ids)

    // After the end (served from the database): the same events, and a resume from the middle.
    const replay = await readSse(url)
    expect(replay.map((e) => e.id)).toEqual(reference.map((e) => e.id))
    const tail = await readSse(url, {lastEventId: reference[3]!.id})
    expect(tail.map((e) => e.id)).toEqual(reference.slice(4).map((e) => e.id))
  }, 60_000)

  it('answers 404 for the events of an unknown execution', async () => {
    const response = await fetch(`${base}/api/v1/executions/01a24dd2-0000-7000-8000-000000000000/events`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({error_code: 'EXECUTION_NOT_FOUND'})
  })
})
