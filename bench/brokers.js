// Engine throughput over real brokers (issue 19). Needs the built code and RabbitMQ with its STOMP
// plugin: `npm run bench -- --only brokers`, or `node bench/brokers.js` after `npm run build`.
//
//   queue.amqp.msgs_per_s   a one-route pass-through pipeline on amqp://: every message injected
//                           (persistent, publisher-confirmed), consumed (prefetch 100), run through
//                           the passthrough adapter and acked; lineage off.
//                           Baseline: raw amqplib doing the same in the same process: confirm-channel
//                           publishes in the same batches, a consumer with the same prefetch that
//                           parses each body and acks it.
//   queue.stomp.msgs_per_s  the same on stomp://, against raw @stomp/stompjs (receipt per SEND,
//                           client-individual ack, prefetch-count 100).
//   queue.pulsar.msgs_per_s the same on pulsar://, against a raw `ws` client of Pulsar's WebSocket
//                           API (producer socket awaiting each `ok`, a Shared consumer with
//                           receiverQueueSize 100 acking by messageId). No Pulsar exists here: both
//                           run against the protocol fake of the tests (bench/lib/
//                           pulsar-websocket-server.js) in this same process, unless
//                           FACTFLOW_BENCH_PULSAR_URL names a real broker. The fake's own work is
//                           in both sides of the ratio; its absolute figure says nothing of Pulsar.
// Each figure is the median of BENCH_BROKER_ROUNDS (default 3) rounds, each round a raw run then an
// engine run moments apart; the ratio is the median of the per-round ratios.
import {randomUUID} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const dist = new URL('../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)

const AMQP_URL = process.env.FACTFLOW_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
const STOMP_URL = process.env.FACTFLOW_BENCH_STOMP_URL ?? 'stomp://guest:guest@127.0.0.1:61613'
const MESSAGES = Number(process.env.BENCH_BROKER_MESSAGES ?? 5000)
const ROUNDS = Number(process.env.BENCH_BROKER_ROUNDS ?? 3)
const PREFETCH = 100
const BATCH = 200
const AHEAD = 2000
const PAYLOAD = {text: 'x'.repeat(800), n: 0}
const ENVELOPE = {
  message_id: '01a212c8-fb91-74fe-a99b-68bba9b956f5', correlation_id: '01a212c8-fb91-74fe-a99b-68bba9b956f6',
  parent_id: null, execution_id: '01a212c8-fb91-74fe-a99b-68bba9b956f8', route_id: 'a', stage: null,
  timestamp: '2026-11-25T13:00:00.000123+00:00', attempt: 1, metadata: {},
}
const body = (n) => JSON.stringify({...ENVELOPE, payload: {...PAYLOAD, n}})

/** Publishes in batches via `publishBatch(bodies)`, never more than AHEAD messages ahead of `consumed()`. */
async function produce(publishBatch, consumed) {
  for (let start = 0; start < MESSAGES; start += BATCH) {
    while (start - consumed() > AHEAD) await new Promise((r) => setTimeout(r, 1))
    const bodies = []
    for (let i = start; i < Math.min(MESSAGES, start + BATCH); i++) bodies.push(body(i))
    await publishBatch(bodies)
  }
}

function until(predicate) {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setTimeout(check, 1))
    check()
  })
}

async function rawAmqp() {
  const amqplib = await import('amqplib')
  const connection = await amqplib.connect(AMQP_URL)
  const queue = `bench.raw.${randomUUID()}`
  const publisher = await connection.createConfirmChannel()
  await publisher.assertQueue(queue, {durable: true})
  const consumer = await connection.createChannel()
  await consumer.prefetch(PREFETCH)
  let consumed = 0
  let checksum = 0
  const started = performance.now()
  await consumer.consume(queue, (message) => {
    if (message === null) return // cancelled by the queue's deletion at the end
    checksum += JSON.parse(message.content.toString('utf8')).payload.n
    consumed++
    consumer.ack(message)
  }, {noAck: false})
  await produce(async (bodies) => {
    const confirms = bodies.map((b) => new Promise((resolve, reject) => {
      publisher.publish('', queue, Buffer.from(b), {persistent: true, messageId: randomUUID()}, (error) => (error ? reject(error) : resolve()))
    }))
    await Promise.all(confirms)
  }, () => consumed)
  await until(() => consumed >= MESSAGES)
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  if (checksum !== (MESSAGES * (MESSAGES - 1)) / 2) throw new Error('raw amqp lost messages')
  await publisher.deleteQueue(queue)
  await connection.close()
  return rate
}

async function stompClient() {
  const [{Client}, {TCPWrapper}] = await Promise.all([import('@stomp/stompjs'), import('@stomp/tcp-wrapper')])
  const url = new URL(STOMP_URL)
  const receipts = new Map()
  const client = new Client({
    webSocketFactory: () => new TCPWrapper(url.hostname, Number(url.port)),
    connectHeaders: {login: url.username, passcode: url.password, host: '/'},
    heartbeatIncoming: 10_000, heartbeatOutgoing: 10_000, reconnectDelay: 0, debug: () => undefined,
  })
  client.onUnhandledReceipt = (frame) => receipts.get(frame.headers['receipt-id'])?.()
  await new Promise((resolve, reject) => {
    client.onConnect = resolve
    client.onStompError = reject
    client.activate()
  })
  return {client, receipts}
}

async function rawStomp() {
  // Two connections, as the provider has (its publisher's and the subscription's own).
  const publisher = await stompClient()
  const subscriber = await stompClient()
  const destination = `/queue/bench.raw.${randomUUID()}`
  let consumed = 0
  let checksum = 0
  const subscribed = new Promise((resolve) => subscriber.receipts.set('sub', resolve))
  subscriber.client.subscribe(destination, (message) => {
    checksum += JSON.parse(message.body).payload.n
    consumed++
    message.ack()
  }, {ack: 'client-individual', 'prefetch-count': String(PREFETCH), receipt: 'sub'})
  await subscribed
  const started = performance.now()
  await produce(async (bodies) => {
    await Promise.all(bodies.map((b) => new Promise((resolve) => {
      const receipt = randomUUID()
      publisher.receipts.set(receipt, () => {
        publisher.receipts.delete(receipt)
        resolve()
      })
      publisher.client.publish({destination, body: b, headers: {persistent: 'true', receipt}})
    })))
  }, () => consumed)
  await until(() => consumed >= MESSAGES)
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  if (checksum !== (MESSAGES * (MESSAGES - 1)) / 2) throw new Error('raw stomp lost messages')
  await subscriber.client.deactivate()
  await publisher.client.deactivate()
  return rate
}

async function rawPulsar(pulsarUrl) {
  const {WebSocket} = await import('ws')
  const base = pulsarUrl.replace(/^pulsar:/, 'ws:')
  const topic = `persistent/public/default/bench.raw.${randomUUID()}`
  const open = (url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {perMessageDeflate: false})
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
  const consumer = await open(`${base}/ws/v2/consumer/${topic}/bench?subscriptionType=Shared&receiverQueueSize=${PREFETCH}`)
  const producer = await open(`${base}/ws/v2/producer/${topic}`)
  let consumed = 0
  let checksum = 0
  consumer.on('message', (data) => {
    const message = JSON.parse(data.toString())
    checksum += JSON.parse(Buffer.from(message.payload, 'base64').toString('utf8')).payload.n
    consumed++
    consumer.send(JSON.stringify({messageId: message.messageId}))
  })
  const waiting = new Map()
  producer.on('message', (data) => {
    const answer = JSON.parse(data.toString())
    waiting.get(answer.context)?.(answer)
    waiting.delete(answer.context)
  })
  let context = 0
  const started = performance.now()
  await produce(async (bodies) => {
    await Promise.all(bodies.map((b) => new Promise((resolve, reject) => {
      const id = String(context++)
      waiting.set(id, (answer) => (answer.result === 'ok' ? resolve() : reject(new Error(answer.errorMsg))))
      producer.send(JSON.stringify({payload: Buffer.from(b).toString('base64'), properties: {'factflow-id': randomUUID()}, context: id}))
    })))
  }, () => consumed)
  await until(() => consumed >= MESSAGES)
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  if (checksum !== (MESSAGES * (MESSAGES - 1)) / 2) throw new Error('raw pulsar lost messages')
  consumer.send(JSON.stringify({type: 'unsubscribe'}))
  producer.close()
  consumer.close()
  return rate
}

async function engineRun(queueUrl) {
  const [{PipelineOrchestrator}, {pipelineSchema}, {builtinAdapterRegistry}, {silentLogger}, {createQueueProvider}, {createObjectStore}] = await Promise.all([
    load('engine/pipeline-orchestrator.js'), load('config/pipeline-schema.js'), load('adapters/registry.js'),
    load('logging/logger.js'), load('queue/create-queue-provider.js'), load('storage/create-object-store.js'),
  ])
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-brokers-'))
  const queue = await createQueueProvider(queueUrl, {logger: silentLogger})
  await queue.connect()
  const storage = await createObjectStore(`file://${dir}`)
  const noop = {write() {}, async flush() {}, stats: () => ({written: 0, pending: 0, failedFlushes: 0, dropped: 0}), async close() {}}
  const pipeline = pipelineSchema.parse({
    version: '1.0',
    error_handling: {max_retries: 0, dead_letter_queue: '/queue/bench.dlq'},
    routes: {a: {inbound: {queue: '/queue/bench.a', concurrency: PREFETCH, prefetch: PREFETCH}, adapters: [{type: 'passthrough'}]}},
    init_message: {route: 'a', payload: {}},
  })
  const orchestrator = new PipelineOrchestrator(
    {pipeline, skipInitMessage: true, lineage: false, statsIntervalMs: 0},
    {queue, storage, lineage: noop, registry: builtinAdapterRegistry(), logger: silentLogger},
  )
  await orchestrator.start()
  const started = performance.now()
  let injected = 0
  await produce(async (bodies) => {
    await orchestrator.inject('a', bodies.map((_, i) => ({payload: {...PAYLOAD, n: injected + i}})))
    injected += bodies.length
  }, () => injected - orchestrator.inFlight)
  orchestrator.endInput()
  const result = await orchestrator.result
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  await queue.close()
  await rm(dir, {recursive: true, force: true})
  if (result.routes.a.completed !== MESSAGES) throw new Error(`expected ${MESSAGES} messages, got ${JSON.stringify(result.routes.a)} ${result.status} ${result.error}`)
  return rate
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const round = (x) => Math.round(x * 1000) / 1000

async function measure(name, queueUrl, raw, baseline) {
  try {
    await raw() // warm-up, not measured (JIT, broker queue creation)
    await engineRun(queueUrl)
  } catch (error) {
    return {name, value: null, unit: 'msgs/s', note: `skipped: ${error?.message ?? error}`}
  }
  const rounds = []
  for (let i = 0; i < ROUNDS; i++) {
    const rawRate = await raw()
    const engineRate = await engineRun(queueUrl)
    rounds.push({raw: rawRate, engine: engineRate, ratio: engineRate / rawRate})
  }
  return {
    name, value: Math.round(median(rounds.map((r) => r.engine))), unit: 'msgs/s',
    baseline, baseline_value: Math.round(median(rounds.map((r) => r.raw))),
    ratio: round(median(rounds.map((r) => r.ratio))),
    note: `${MESSAGES} × 1 KiB persistent messages, prefetch ${PREFETCH}, batches of ${BATCH}; per-round ratios ${rounds.map((r) => round(r.ratio)).join(', ')}; target ≥ 0.70`,
  }
}

async function measurePulsar() {
  let fake
  let url = process.env.FACTFLOW_BENCH_PULSAR_URL
  if (!url) {
    const {startPulsarWebSocketServer} = await import('./lib/pulsar-websocket-server.js')
    fake = await startPulsarWebSocketServer()
    url = fake.url
  }
  try {
    const figure = await measure('queue.pulsar.msgs_per_s', url, () => rawPulsar(url), 'raw ws client of the Pulsar WebSocket API (ok per send, Shared consumer, ack by messageId)')
    if (fake) figure.note = `${figure.note}; against the in-process protocol fake, not a real Pulsar`
    return figure
  } finally {
    await fake?.close()
  }
}

export async function run() {
  return [
    await measure('queue.amqp.msgs_per_s', AMQP_URL, rawAmqp, 'raw amqplib publish (confirms) + consume (prefetch, ack)'),
    await measure('queue.stomp.msgs_per_s', STOMP_URL, rawStomp, 'raw @stomp/stompjs publish (receipts) + consume (client-individual ack)'),
    await measurePulsar(),
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify({figures: await run()}, null, 2))
}
