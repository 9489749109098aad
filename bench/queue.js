// Queue provider throughput. Needs the built code: `npm run build`, then `node --expose-gc bench/queue.js`.
//
// The producer publishes in batches of 100 and stays at most 1000 messages ahead of the consumer
// (flow control, as the engine's prefetch-bound routes give): a backlog of tens of thousands of
// 1 KiB strings survives young-generation GCs and the figure then measures V8's old-space GC more
// than the queue (about -50% at a 10k backlog on this machine).
//
// Figures (medians of `runs` runs, measured in one process so ratios compare like with like):
// - queue.memory.msgs_per_s: publish + consume + ack of N 1 KiB JSON messages (prefetch 100), the
//   producer serialising, the handler parsing. Baseline: a raw loop doing the same
//   JSON.stringify/JSON.parse with one await per message.
// - queue.memory.hops_per_s: the same messages through a chain of 3 queues, each handler parsing,
//   re-serialising and publishing to the next queue before it acks (the engine's shape without
//   adapters, lineage or retries). Baseline: the same raw loop (one hop = one JSON round trip + await).
// - queue.memory.broker_msgs_per_s: publish + deliver + ack with prebuilt bodies and a handler that
//   only acks: the provider's own cost. Baseline: the 300k msg/s target set for it.
import {performance} from 'node:perf_hooks'
import {setImmediate as nextTurn} from 'node:timers/promises'
import {pathToFileURL} from 'node:url'

import {MemoryQueueProvider} from '../dist/src/queue/memory-queue-provider.js'

const EXECUTION_ID = '0190f1a2-7b3c-7def-8123-456789abcdef'
const BROKER_TARGET = 300_000

function makeEnvelope(index, filler) {
  return {
    message_id: `0190f1a2-7b3c-7def-8123-${String(index).padStart(12, '0')}`,
    correlation_id: `0190f1a2-7b3c-7def-9123-${String(index).padStart(12, '0')}`,
    parent_id: null,
    execution_id: EXECUTION_ID,
    route_id: 'bench',
    stage: 'bench',
    timestamp: '2026-04-22T18:30:00.123456+00:00',
    attempt: 1,
    payload: {index, text: filler},
    metadata: {source: 'bench/queue.js'},
  }
}

/** Filler that makes each serialised envelope about `bytes` long. */
function fillerFor(bytes) {
  const overhead = JSON.stringify(makeEnvelope(99_999, '')).length
  return 'x'.repeat(Math.max(0, bytes - overhead))
}

async function rawLoop(count, filler) {
  let checksum = 0
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify(makeEnvelope(i, filler))
    await null
    checksum += JSON.parse(body).payload.index
  }
  const seconds = (performance.now() - started) / 1000
  if (checksum !== (count * (count - 1)) / 2) throw new Error('raw loop lost messages')
  return count / seconds
}

/** Publishes `count` bodies in batches, never more than `highWater` ahead of the consumer. */
async function produce(provider, destination, count, makeBody, consumed, highWater = 1000, batchSize = 100) {
  for (let start = 0; start < count; start += batchSize) {
    while (start - consumed() > highWater) await nextTurn()
    const items = []
    for (let i = start; i < Math.min(count, start + batchSize); i++) items.push({destination, body: makeBody(i)})
    await provider.publishBatch(items)
  }
}

function done(target, current) {
  return new Promise((resolve) => {
    const check = () => (current() >= target ? resolve() : setImmediate(check))
    check()
  })
}

async function memoryMessages(count, filler, prefetch) {
  const provider = new MemoryQueueProvider()
  const queue = '/queue/bench.messages'
  let consumed = 0
  let checksum = 0
  await provider.subscribe(queue, {subscription: 'bench', prefetch}, async (delivery) => {
    checksum += JSON.parse(delivery.body).payload.index
    consumed++
    return 'ack'
  })
  const started = performance.now()
  await produce(provider, queue, count, (i) => JSON.stringify(makeEnvelope(i, filler)), () => consumed)
  await done(count, () => consumed)
  const seconds = (performance.now() - started) / 1000
  await provider.close()
  if (checksum !== (count * (count - 1)) / 2) throw new Error('memory queue lost messages')
  return count / seconds
}

async function memoryHops(count, filler, prefetch) {
  const provider = new MemoryQueueProvider()
  const queues = ['/queue/bench.hop1', '/queue/bench.hop2', '/queue/bench.hop3']
  let finished = 0
  for (let stage = 0; stage < queues.length; stage++) {
    const next = queues[stage + 1]
    await provider.subscribe(queues[stage], {subscription: 'bench', prefetch}, async (delivery) => {
      const envelope = JSON.parse(delivery.body)
      if (next === undefined) {
        finished++
        return 'ack'
      }
      envelope.stage = `hop${stage + 1}`
      await provider.publishBatch([{destination: next, body: JSON.stringify(envelope)}])
      return 'ack'
    })
  }
  const started = performance.now()
  await produce(provider, queues[0], count, (i) => JSON.stringify(makeEnvelope(i, filler)), () => finished)
  await done(count, () => finished)
  const seconds = (performance.now() - started) / 1000
  await provider.close()
  return (count * queues.length) / seconds
}

async function memoryBroker(count, body, prefetch) {
  const provider = new MemoryQueueProvider()
  const queue = '/queue/bench.broker'
  let consumed = 0
  await provider.subscribe(queue, {subscription: 'bench', prefetch}, async () => {
    consumed++
    return 'ack'
  })
  const started = performance.now()
  await produce(provider, queue, count, () => body, () => consumed)
  await done(count, () => consumed)
  const seconds = (performance.now() - started) / 1000
  await provider.close()
  return count / seconds
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function collect() {
  if (typeof globalThis.gc === 'function') globalThis.gc()
}

function figure(name, value, unit, baseline, baselineValue) {
  return {
    name,
    value: Math.round(value),
    unit,
    baseline,
    baseline_value: Math.round(baselineValue),
    ratio: Number((value / baselineValue).toFixed(3)),
  }
}

export async function run({messages = 200_000, bodyBytes = 1024, prefetch = 100, runs = 3} = {}) {
  const filler = fillerFor(bodyBytes)
  const body = JSON.stringify(makeEnvelope(0, filler))
  // warm-up so the first measured run is not paying for JIT
  await rawLoop(20_000, filler)
  await memoryMessages(20_000, filler, prefetch)
  await memoryHops(10_000, filler, prefetch)
  const raw = []
  const msgs = []
  const hops = []
  const broker = []
  for (let r = 0; r < runs; r++) {
    collect()
    raw.push(await rawLoop(messages, filler))
    collect()
    msgs.push(await memoryMessages(messages, filler, prefetch))
    collect()
    hops.push(await memoryHops(messages, filler, prefetch))
    collect()
    broker.push(await memoryBroker(messages, body, prefetch))
  }
  const rawLoopPerS = median(raw)
  const rawName = 'raw loop: JSON.stringify + await + JSON.parse of the same 1 KiB message'
  return [
    figure('queue.memory.msgs_per_s', median(msgs), 'msg/s', rawName, rawLoopPerS),
    figure('queue.memory.hops_per_s', median(hops), 'hops/s', rawName, rawLoopPerS),
    figure('queue.memory.broker_msgs_per_s', median(broker), 'msg/s', 'target: 300k publish+deliver+ack/s without JSON', BROKER_TARGET),
  ]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`)
}
