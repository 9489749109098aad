import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {testPipelineYaml} from '../server/server-harness.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {startWebhookReceiver, type WebhookReceiver} from '../helpers/webhook-receiver.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
async function api(served: Served, method: string, route: string, body?: unknown): Promise<{status: number; body: any}> {
  const response = await fetch(`${served.url}/api/v1${route}`, {
    method, headers: {'content-type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {status: response.status, body: text ? JSON.parse(text) : null}
}

describe('webhook deliveries across a server restart (built binary)', () => {
  let work: string
  let served: Served | undefined
  let receiver: WebhookReceiver
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-webhooks-'))
    // Loopback targets allowed for the receiver; a short schedule: retry after 3 s, then 1 s; 1 s timeout.
    await writeFile(path.join(work, 'factflow.yaml'), 'network: {allow_private: true}\nwebhooks: {retry_schedule: [3s, 1s], timeout: 1s, poll_interval: 200ms}\n')
    receiver = await startWebhookReceiver([{status: 500, body: 'not yet'}, {hang: true}, {status: 200, body: 'ok'}])
  })
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await receiver?.close()
    await rm(work, {recursive: true, force: true})
  })

  it('fails, times out, then succeeds, with a SIGKILL of the server between attempts: no delivery lost, every attempt logged and signed', async () => {
    served = await startServe(work)
    const hook = await api(served, 'POST', '/webhooks', {url: receiver.url, event_types: ['execution.completed']})
    expect(hook.status).toBe(201)
    receiver.secret = hook.body.secret
    const config = await api(served, 'POST', '/configs', {name: 'hooked', config_yaml: testPipelineYaml({count: 2})})
    const run = await api(served, 'POST', `/configs/${config.body.id}/run`)
    expect(run.status).toBe(201)

    await receiver.waitFor(1)
    // Killed once the first attempt is recorded and the retry is queued (a kill during an attempt
    // is retried too, once its claim's lease runs out: timeout + 30 s).
    for (const deadline = Date.now() + 15_000; ;) {
      const [queued] = (await api(served, 'GET', `/webhooks/${hook.body.id}/deliveries`)).body.deliveries
      if (queued?.status === 'pending' && queued.attempt_log.length === 1) break
      if (Date.now() > deadline) throw new Error(`the first attempt was not recorded: ${JSON.stringify(queued)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    served.child.kill('SIGKILL')
    await served.exited
    const pending = receiver.received.length
    expect(pending).toBe(1)

    served = await startServe(work)
    await receiver.waitFor(3, 30_000)
    let delivery
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      ;[delivery] = (await api(served, 'GET', `/webhooks/${hook.body.id}/deliveries`)).body.deliveries
      if (delivery?.status === 'succeeded') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(delivery).toMatchObject({status: 'succeeded', attempts: 3, event_type: 'execution.completed', payload: {data: {execution_id: run.body.id}}})
    expect(delivery.attempt_log.map((a: {status: string; response_code: number | null}) => [a.status, a.response_code])).toEqual([['http_error', 500], ['timeout', null], ['succeeded', 200]])
    expect(receiver.received.map((r) => r.verified)).toEqual([true, true, true])
    expect(new Set(receiver.received.map((r) => r.headers['x-factflow-delivery']))).toEqual(new Set([delivery.id]))
    // The server's secret never comes back: not in the subscription, not in the delivery log.
    const shown = JSON.stringify([(await api(served, 'GET', `/webhooks/${hook.body.id}`)).body, delivery])
    expect(shown).not.toContain(hook.body.secret)

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
    served = undefined
  }, 300_000)
})
