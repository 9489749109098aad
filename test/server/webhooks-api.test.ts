import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startWebhookReceiver, type WebhookReceiver} from '../helpers/webhook-receiver.js'
import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
type Json = any

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const FAILING_PIPELINE = `version: "1.0"
name: failing
error_handling: {max_retries: 0, dead_letter_queue: /queue/dlq}
routes:
  source:
    inbound: {queue: /queue/source}
    adapters:
      - type: fan_out
        config: {count: 2, field: n}
    outbound: [{queue: /queue/work}]
  work:
    inbound: {queue: /queue/work}
    adapters:
      - type: fail
        config: {mode: always}
init_message: {route: source, payload: {}}
`

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`webhooks over HTTP on ${store}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    const receivers: WebhookReceiver[] = []
    const receiver = async (...args: Parameters<typeof startWebhookReceiver>) => {
      const started = await startWebhookReceiver(...args)
      receivers.push(started)
      return started
    }
    const allowPrivate = (allowed: boolean) => { server.webhooks.options.network.allowPrivate = allowed }
    const call = (method: string, url: string, body?: unknown): Promise<{status: number; body: Json}> => server.call(method, `/api/v1${url}`, body)

    async function runConfig(name: string, yaml: string): Promise<{configId: string; executionId: string}> {
      const config = await call('POST', '/configs', {name: `${name}-${store}`, config_yaml: yaml})
      expect(config.status).toBe(201)
      const run = await call('POST', `/configs/${config.body.id}/run`)
      expect(run.status).toBe(201)
      await server.runtime.executions.get(run.body.id)?.outcome
      return {configId: config.body.id, executionId: run.body.id}
    }
    async function settled(webhookId: string, count = 1): Promise<Json[]> {
      return until(`${count} settled deliveries`, async () => {
        const {body} = await call('GET', `/webhooks/${webhookId}/deliveries`)
        const done = body.deliveries.filter((d: Json) => ['succeeded', 'failed', 'dead'].includes(d.status))
        return done.length >= count && done.length === body.deliveries.length ? body.deliveries : undefined
      })
    }

    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({
        databaseUrl: scratch?.url,
        webhooks: {start: true, settings: {retry_schedule_ms: [300, 300], timeout_ms: 700, poll_interval_ms: 100}},
      })
    }, 60_000)
    afterEach(async () => {
      allowPrivate(false)
      for (const r of receivers.splice(0)) await r.close()
    })
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('creates, shows, lists, changes and deletes a subscription; the secret is shown once', async () => {
      allowPrivate(true)
      const created = await call('POST', '/webhooks', {url: 'http://127.0.0.1:9/hook', event_types: ['execution.completed', 'execution.completed'], description: 'ci'})
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({url: 'http://127.0.0.1:9/hook', event_types: ['execution.completed'], filters: {}, active: true, secret: expect.stringMatching(/^whsec_/)})
      const given = await call('POST', '/webhooks', {url: 'http://127.0.0.1:9/other', event_types: ['lineage.failed'], secret: 'a-secret-of-my-own', filters: {route_id: 'work'}})
      expect(given.status).toBe(201)
      expect(given.body.secret).toBeUndefined()

      const shown = await call('GET', `/webhooks/${created.body.id}`)
      expect(shown.status).toBe(200)
      const list = await call('GET', '/webhooks?limit=1')
      expect(list.body).toMatchObject({total: expect.any(Number), limit: 1, offset: 0, has_more: true})
      const patched = await call('PATCH', `/webhooks/${created.body.id}`, {event_types: ['execution.failed'], active: false, secret: 'rotated-secret-value'})
      expect(patched.status).toBe(200)
      expect(patched.body).toMatchObject({event_types: ['execution.failed'], active: false})
      expect((await call('GET', '/webhooks?active=false')).body.webhooks.map((w: Json) => w.id)).toContain(created.body.id)
      for (const reply of [created, given, shown, list, patched]) {
        expect(JSON.stringify(reply.body.webhooks ?? {...reply.body, secret: undefined})).not.toMatch(/whsec_|a-secret-of-my-own|rotated-secret-value/)
      }

      expect((await call('DELETE', `/webhooks/${created.body.id}`)).status).toBe(204)
      for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['GET', '/deliveries'], ['POST', '/test']] as const) {
        const reply = await call(method, `/webhooks/${created.body.id}${path}`, method === 'PATCH' ? {active: true} : undefined)
        expect(reply, `${method} ${path}`).toMatchObject({status: 404, body: {error_code: 'WEBHOOK_NOT_FOUND'}})
      }
      expect((await call('GET', '/webhooks/not-a-uuid')).status).toBe(404)
      expect((await call('POST', `/webhooks/deliveries/${created.body.id}/redeliver`)).body.error_code).toBe('WEBHOOK_DELIVERY_NOT_FOUND')
      await call('DELETE', `/webhooks/${given.body.id}`)
    })

    it('answers 422 for bodies and queries that fail their schema', async () => {
      const bad: Array<[string, string, unknown]> = [
        ['POST', '/webhooks', {event_types: ['execution.completed']}],
        ['POST', '/webhooks', {url: 'http://x.test', event_types: []}],
        ['POST', '/webhooks', {url: 'http://x.test', event_types: ['execution.exploded']}],
        ['POST', '/webhooks', {url: 'http://x.test', event_types: ['lineage.failed'], secret: 'short'}],
        ['POST', '/webhooks', {url: 'http://x.test', event_types: ['lineage.failed'], filters: {config_id: 'nope'}}],
        ['POST', '/webhooks', {url: 'http://x.test', event_types: ['lineage.failed'], admin: true}],
        ['PATCH', '/webhooks/01a24dd2-0000-7000-8000-000000000000', {}],
        ['GET', '/webhooks?limit=0', undefined],
        ['GET', '/webhooks/01a24dd2-0000-7000-8000-000000000000/deliveries?status=lost', undefined],
      ]
      for (const [method, path, body] of bad) {
        const reply = await call(method, path, body)
        expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(422)
        expect(reply.body.detail[0]).toMatchObject({loc: expect.any(Array), msg: expect.any(String), type: expect.any(String)})
      }
    })

    it('refuses loopback, private and link-local targets, literal and by DNS name, unless the settings allow them, and writes nothing', async () => {
      const before = (await call('GET', '/webhooks')).body.total
      for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://10.0.0.7/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data',
        'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/', 'http://localhost:8080/hook', 'http://0.0.0.0/']) {
        const reply = await call('POST', '/webhooks', {url, event_types: ['execution.completed']})
        expect(reply, url).toMatchObject({status: 400, body: {error_code: 'NETWORK_TARGET_REFUSED', hint: expect.stringMatching(/allow_private/)}})
      }
      for (const url of ['ftp://example.com/', 'http://user:pw@example.com/', 'not a url']) {
        expect((await call('POST', '/webhooks', {url, event_types: ['execution.completed']})).body.error_code, url).toBe('NETWORK_TARGET_INVALID')
      }
      expect((await call('POST', '/webhooks', {url: 'http://no-such-host.invalid/', event_types: ['execution.completed']})).body.error_code).toBe('NETWORK_TARGET_UNRESOLVABLE')
      allowPrivate(true)
      const allowed = await call('POST', '/webhooks', {url: 'http://localhost:9/hook', event_types: ['execution.completed']})
      expect(allowed.status).toBe(201)
      // Link-local (cloud metadata) stays refused: it has its own setting.
      expect((await call('POST', '/webhooks', {url: 'http://169.254.169.254/', event_types: ['execution.completed']})).status).toBe(400)
      allowPrivate(false)
      expect((await call('PATCH', `/webhooks/${allowed.body.id}`, {url: 'http://127.0.0.2/'})).body.error_code).toBe('NETWORK_TARGET_REFUSED')
      expect((await call('GET', `/webhooks/${allowed.body.id}`)).body.url).toBe('http://localhost:9/hook')
      expect((await call('GET', '/webhooks')).body.total).toBe(before + 1)
      await call('DELETE', `/webhooks/${allowed.body.id}`)
    })

    it('retries a failing, then hanging receiver on the schedule until it answers, stores every attempt, and signs every attempt', async () => {
      const hook = await receiver([{status: 500, body: 'database down'}, {hang: true}, {status: 200, body: 'thanks'}])
      allowPrivate(true)
      const created = await call('POST', '/webhooks', {url: hook.url, event_types: ['execution.completed']})
      hook.secret = created.body.secret
      const {configId, executionId} = await runConfig('retried', testPipelineYaml({count: 2}))
      const [delivery] = await settled(created.body.id)
      expect(delivery).toMatchObject({status: 'succeeded', event_type: 'execution.completed', attempts: 3, last_response_code: 200})
      expect(delivery.attempt_log.map((a: Json) => [a.attempt, a.status, a.response_code])).toEqual([[1, 'http_error', 500], [2, 'timeout', null], [3, 'succeeded', 200]])
      expect(delivery.attempt_log[0]).toMatchObject({response_excerpt: 'database down', error: 'HTTP 500', duration_ms: expect.any(Number)})
      expect(delivery.attempt_log[1].duration_ms).toBeGreaterThanOrEqual(650)
      expect(delivery.attempt_log[2].response_excerpt).toBe('thanks')

      expect(hook.received).toHaveLength(3)
      for (const request of hook.received) {
        expect(request.verified).toBe(true)
        expect(request.headers).toMatchObject({'x-factflow-event': 'execution.completed', 'x-factflow-delivery': delivery.id, 'content-type': 'application/json'})
        expect(request.headers['x-factflow-signature']).toMatch(/^sha256=[0-9a-f]{64}$/)
        const body = JSON.parse(request.body)
        expect(body).toMatchObject({id: delivery.event_id, event_type: 'execution.completed', created_at: expect.any(String), data: {execution_id: executionId, config_id: configId, status: 'completed'}})
      }
      // A forged body does not verify with the same headers.
      const first = hook.received[0]!
      const {verifyWebhookSignature} = await import('../../src/webhooks/webhook-signature.js')
      expect(verifyWebhookSignature(created.body.secret, {timestamp: String(first.headers['x-factflow-timestamp']), signature: String(first.headers['x-factflow-signature'])}, first.body.replace('completed', 'failed'))).toBe(false)
      await call('DELETE', `/webhooks/${created.body.id}`)
    })

    it('dead-letters a delivery after the last retry, redelivers it on request (409 while queued), and does not retry a 404', async () => {
      const down = await receiver([{status: 503}])
      const gone = await receiver([{status: 404}])
      allowPrivate(true)
      const deadHook = await call('POST', '/webhooks', {url: down.url, event_types: ['execution.completed']})
      const goneHook = await call('POST', '/webhooks', {url: gone.url, event_types: ['execution.completed']})
      await runConfig('dead', testPipelineYaml({count: 1}))
      const [dead] = await settled(deadHook.body.id)
      expect(dead).toMatchObject({status: 'dead', attempts: 3, last_response_code: 503})
      expect(dead.attempt_log.map((a: Json) => a.status)).toEqual(['http_error', 'http_error', 'http_error'])
      const [failed] = await settled(goneHook.body.id)
      expect(failed).toMatchObject({status: 'failed', attempts: 1, last_response_code: 404})

      const again = await call('POST', `/webhooks/deliveries/${dead.id}/redeliver`)
      expect(again.status).toBe(202)
      expect(again.body).toMatchObject({id: dead.id, status: 'pending'})
      const busy = await call('POST', `/webhooks/deliveries/${dead.id}/redeliver`)
      expect(busy).toMatchObject({status: 409, body: {error_code: 'WEBHOOK_DELIVERY_PENDING'}})
      const [redelivered] = await settled(deadHook.body.id)
      expect(redelivered.attempts).toBeGreaterThanOrEqual(6)
      expect(redelivered.attempt_log.map((a: Json) => a.attempt)).toEqual(Array.from({length: redelivered.attempts}, (_, i) => i + 1))
      expect(new Set(down.received.map((r) => r.headers['x-factflow-delivery']))).toEqual(new Set([dead.id]))
      await call('DELETE', `/webhooks/${deadHook.body.id}`)
      await call('DELETE', `/webhooks/${goneHook.body.id}`)
    })

    it('sends a test delivery at once, and refuses at delivery time a target that became private (DNS name or literal)', async () => {
      const hook = await receiver([{status: 204}])
      allowPrivate(true)
      const byName = await call('POST', '/webhooks', {url: hook.url.replace('127.0.0.1', 'localhost'), event_types: ['execution.completed']})
      const literal = await call('POST', '/webhooks', {url: hook.url, event_types: ['execution.completed']})
      hook.secret = byName.body.secret
      const test = await call('POST', `/webhooks/${byName.body.id}/test`)
      expect(test.status).toBe(200)
      expect(test.body).toMatchObject({status: 'succeeded', is_test: true, event_type: 'webhook.test', attempt_log: [{status: 'succeeded', response_code: 204}]})
      expect(hook.received[0]).toMatchObject({verified: true, headers: {'x-factflow-event': 'webhook.test'}})

      allowPrivate(false)
      for (const subscription of [byName, literal]) {
        const refused = await call('POST', `/webhooks/${subscription.body.id}/test`)
        expect(refused.body).toMatchObject({status: 'failed', attempt_log: [{status: 'refused', response_code: null, error: expect.stringMatching(/refused: .*(127\.0\.0\.1|::1).*private/)}]})
      }
      await runConfig('rebound', testPipelineYaml({count: 1}))
      const deliveries = await settled(byName.body.id, 3)
      expect(deliveries.find((d: Json) => !d.is_test)).toMatchObject({status: 'failed', attempts: 1, attempt_log: [{status: 'refused'}]})
      expect(hook.received).toHaveLength(1)
      await call('DELETE', `/webhooks/${byName.body.id}`)
      await call('DELETE', `/webhooks/${literal.body.id}`)
    })

    it('takes over a delivery whose sending process died mid-attempt once its lease ran out, and logs the lost attempt', async () => {
      const hook = await receiver([{status: 200}])
      allowPrivate(true)
      const created = await call('POST', '/webhooks', {url: hook.url, event_types: ['execution.failed'], active: false})
      const {db} = await server.runtime.store()
      const {createWebhookRepository} = await import('../../src/webhooks/webhook-repository.js')
      const deliveryId = '01a24dd2-0000-7000-8000-00000000d1ed'
      await createWebhookRepository(db).enqueue({id: '01a24dd2-0000-7000-8000-00000000e7e1', event_type: 'execution.failed', created_at: new Date().toISOString(), data: {}, scope: {}}, [created.body.id], [deliveryId])
      // What a process that claimed it and was killed leaves behind.
      await db.query(`UPDATE webhook_deliveries SET status = 'delivering', attempts = 1, locked_until = now() - interval '1 second' WHERE id = $1`, [deliveryId])
      await call('PATCH', `/webhooks/${created.body.id}`, {active: true})
      const [delivery] = await settled(created.body.id)
      expect(delivery).toMatchObject({id: deliveryId, status: 'succeeded', attempts: 2})
      expect(delivery.attempt_log.map((a: Json) => [a.attempt, a.status])).toEqual([[1, 'interrupted'], [2, 'succeeded']])
      await call('DELETE', `/webhooks/${created.body.id}`)
    })

    it('delivers only the event types and filters a subscription asked for', async () => {
      const hook = await receiver([{status: 200}])
      allowPrivate(true)
      const work = await call('POST', '/webhooks', {url: hook.url, event_types: ['lineage.failed', 'message.dead_lettered'], filters: {route_id: 'work', adapter_name: 'fail'}})
      const source = await call('POST', '/webhooks', {url: hook.url, event_types: ['lineage.failed', 'message.dead_lettered'], filters: {route_id: 'source'}})
      const otherConfig = await call('POST', '/webhooks', {url: hook.url, event_types: ['execution.completed', 'execution.failed'], filters: {config_id: '01a24dd2-0000-7000-8000-000000000000'}})
      const started = await call('POST', '/webhooks', {url: hook.url, event_types: ['execution.started']})
      const {executionId} = await runConfig('failing', FAILING_PIPELINE)
      const deliveries = await settled(work.body.id, 4)
      expect(deliveries.map((d: Json) => d.event_type).sort()).toEqual(['lineage.failed', 'lineage.failed', 'message.dead_lettered', 'message.dead_lettered'])
      expect(deliveries.find((d: Json) => d.event_type === 'message.dead_lettered').payload.data).toMatchObject({execution_id: executionId, route_id: 'work', adapter_name: 'fail', attempts: 1, error: {code: 'INJECTED_FAILURE'}})
      const [startedDelivery] = await settled(started.body.id)
      expect(startedDelivery.payload.data).toMatchObject({execution_id: executionId})
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect((await call('GET', `/webhooks/${source.body.id}/deliveries`)).body.total).toBe(0)
      expect((await call('GET', `/webhooks/${otherConfig.body.id}/deliveries`)).body.total).toBe(0)
      for (const w of [work, source, otherConfig, started]) await call('DELETE', `/webhooks/${w.body.id}`)
    })
  })
}
