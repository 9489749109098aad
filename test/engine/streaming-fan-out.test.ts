import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {z} from 'zod'

import {builtinAdapters, createAdapterRegistry} from '../../src/adapters/registry.js'
import {type AdapterContext, type AdapterResult, defineAdapter} from '../../src/adapters/types.js'
import type {RouteCounters} from '../../src/engine/events.js'
import {PipelineOrchestrator} from '../../src/engine/pipeline-orchestrator.js'
import {ExternalError, UserInputError} from '../../src/errors/index.js'
import {silentLogger} from '../../src/logging/logger.js'
import {scopeDestination} from '../../src/queue/create-queue-provider.js'
import {createHarness, type Harness, pipeline} from '../helpers/engine-harness.js'

/** What each `probe` stage does, by name, set per test: the engine sees an ordinary adapter. */
const behaviours = new Map<string, (context: AdapterContext) => Promise<AdapterResult>>()
const registry = createAdapterRegistry([...builtinAdapters, defineAdapter({
  type: 'probe', family: 'testing', summary: 'runs the behaviour the test set under its name',
  configSchema: z.strictObject({name: z.string()}),
  load: async () => ({createAdapter: (config: {name: string}) => ({process: (context) => behaviours.get(config.name)!(context)})}),
})])

const FAST_RETRY = {max_retries: 2, retry_delay_seconds: 0.01, backoff: 'fixed' as const, dead_letter_queue: '/queue/dlq'}

/** A downstream stage that writes one artefact per message, keyed by the message (as built-in writers do). */
function storeEach(seen: string[]): (context: AdapterContext) => Promise<AdapterResult> {
  return async (context) => {
    seen.push(context.message.message_id)
    await context.storage.put(context.storageKey('.json'), JSON.stringify(context.payload))
    return {payload: {...context.payload}}
  }
}

async function storedKeys(harness: Harness, executionId: string, route: string, stage: string): Promise<string[]> {
  const listed = await harness.storage.list(`executions/${executionId}/${route}/${stage}/`, {limit: 100_000})
  return listed.objects.map((o) => o.key)
}

let harness: Harness | undefined
beforeEach(() => behaviours.clear())
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

describe('streaming fan-out', () => {
  it('delivers the first of 1,000 elements downstream before the parent message\'s chain ends, and counts elements while it runs', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 4}, adapters: [{type: 'fan_out', config: {count: 1000}}, {type: 'delay', config: {ms: 1}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 4}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    let firstDownstream: number | undefined
    let parentDone: number | undefined
    let whileRunning: RouteCounters | undefined
    harness.orchestrator.on((event) => {
      if (event.type !== 'message.completed') return
      if (event.route_id === 'b' && firstDownstream === undefined) {
        firstDownstream = performance.now()
        whileRunning = harness!.orchestrator.routeCounters().a
      }
      if (event.route_id === 'a') parentDone = performance.now()
    }, {messages: true})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.b!.completed).toBe(1000)
    expect(firstDownstream).toBeLessThan(parentDone!)
    expect(whileRunning).toMatchObject({completed: 0, in_flight: 1, elements: 1000})
    expect(whileRunning!.elements_done).toBeGreaterThan(0)
    expect(whileRunning!.elements_done).toBeLessThan(1000)
    expect(result.routes.a).toMatchObject({received: 1, completed: 1, elements: 1000, elements_done: 1000, elements_failed: 0})
  })

  it('runs elements as a pool, not in batches: a slow element does not hold back its siblings', async () => {
    let releaseSlow!: () => void
    const slow = new Promise<void>((resolve) => { releaseSlow = resolve })
    behaviours.set('slow_first', async ({payload}) => {
      if (payload.index === 0) await slow
      return {payload: {...payload}}
    })
    const downstream: number[] = []
    behaviours.set('record', async ({payload}) => {
      downstream.push(payload.index as number)
      return null
    })
    harness = await createHarness(pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 2}, adapters: [{type: 'fan_out', config: {count: 6}}, {type: 'probe', config: {name: 'slow_first'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'probe', config: {name: 'record'}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    // With batches of two, element 1 would wait for element 0, and nothing would reach b.
    await vi.waitFor(() => expect(downstream).toHaveLength(5), {timeout: 2000})
    expect(downstream).not.toContain(0)
    releaseSlow()
    const result = await harness.orchestrator.result
    expect(result.routes.b!.completed).toBe(6)
  })

  it('gives a lone fan-out the route\'s whole concurrency and many fan-outs never more than it, without deadlock', async () => {
    let active = 0
    let peak = 0
    behaviours.set('count_active', async ({payload}) => {
      active++
      peak = Math.max(peak, active)
      await sleep(2)
      active--
      return {payload: {...payload}}
    })
    const config = pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 4, prefetch: 8}, adapters: [{type: 'fan_out', config: {count: 20}}, {type: 'probe', config: {name: 'count_active'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 8}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    })
    harness = await createHarness(config, {registry})
    await harness.orchestrator.start()
    expect((await harness.orchestrator.result).routes.b!.completed).toBe(20)
    expect(peak).toBe(4)

    // Eight parents at once on four slots: each parent holds one, its elements share it (and any free one).
    await harness.cleanup()
    peak = 0
    harness = await createHarness(config, {registry, skipInitMessage: true})
    await harness.orchestrator.start()
    await harness.orchestrator.inject('a', Array.from({length: 8}, (_, i) => ({payload: {parent: i}})))
    harness.orchestrator.endInput()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.b!.completed).toBe(160)
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeLessThanOrEqual(4)
  })

  it('retries the parent when an element fails: siblings are re-published under the same ids, so downstream overwrites and never duplicates', async () => {
    behaviours.set('flaky', async ({payload, message}) => {
      if (payload.index === 30 && message.attempt === 1) throw new ExternalError('INJECTED_FAILURE', 'element 30 failed once', {retryable: true})
      await sleep(1)
      return {payload: {...payload}}
    })
    const seen: string[] = []
    behaviours.set('store', storeEach(seen))
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 4}, adapters: [{type: 'fan_out', config: {count: 50}}, {type: 'probe', id: 'flaky', config: {name: 'flaky'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 4}, adapters: [{type: 'probe', id: 'store', config: {name: 'store'}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.a).toMatchObject({completed: 1, failed: 1, dead_lettered: 0, elements: 100, elements_failed: 1})
    // Siblings published by the failed attempt came again with the retry: processed twice, stored once.
    expect(seen.length).toBeGreaterThan(50)
    expect(new Set(seen).size).toBe(50)
    expect(await storedKeys(harness, harness.orchestrator.executionId, 'b', 'store')).toHaveLength(50)
    const elementRows = harness.rows.filter((r) => r.stage_name === 'flaky' && r.stage_status === 'completed')
    expect(new Set(elementRows.map((r) => r.message_id)).size).toBe(50)
  })

  it('dead-letters the parent once when an element fails for good, naming the element\'s stage, after every other element ran', async () => {
    behaviours.set('bad_element', async ({payload}) => {
      if (payload.index === 7) throw new UserInputError('INJECTED_FAILURE', 'element 7 is malformed')
      return {payload: {...payload}}
    })
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 2}, adapters: [{type: 'fan_out', config: {count: 20}}, {type: 'probe', id: 'check', config: {name: 'bad_element'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.routes.a).toMatchObject({completed: 0, failed: 1, dead_lettered: 1, elements: 20, elements_failed: 1})
    expect(result.dead_letters).toHaveLength(1)
    expect(result.dead_letters[0]).toMatchObject({route_id: 'a', stage: 'check', attempts: 1})
    // The parent is not retried, so its other elements ran on: one bad element does not cost the rest.
    expect(result.routes.a).toMatchObject({elements_done: 19})
    expect(result.routes.b!.completed).toBe(19)
  })

  it('stops an element\'s siblings while the parent will be retried, and lets them all run on its last attempt', async () => {
    const started = new Map<number, number>()
    behaviours.set('always_down', async ({payload, message}) => {
      started.set(message.attempt, (started.get(message.attempt) ?? 0) + 1)
      if (payload.index === 0) throw new ExternalError('INJECTED_FAILURE', 'element 0 is down', {retryable: true})
      await sleep(2)
      return {payload: {...payload}}
    })
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 1}, adapters: [{type: 'fan_out', config: {count: 30}}, {type: 'probe', id: 'down', config: {name: 'always_down'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    // max_retries 2: attempts 1 and 2 stop at the failing first element, attempt 3 (the last) runs all 30.
    expect(result.routes.a).toMatchObject({received: 3, completed: 0, failed: 3, dead_lettered: 1})
    expect(started.get(1)).toBeLessThan(30)
    expect(started.get(2)).toBeLessThan(30)
    expect(started.get(3)).toBe(30)
    expect(result.dead_letters[0]).toMatchObject({route_id: 'a', stage: 'down', attempts: 3})
    expect(result.routes.b!.completed).toBeGreaterThanOrEqual(29)
  })

  it('loses nothing when cancelled mid-fan-out: the parent goes back to the queue and a resumed run stores every element once', async () => {
    const seen: string[] = []
    behaviours.set('store', storeEach(seen))
    // In the first run, elements from 50 on wait until the cancel aborts them.
    let stall = true
    behaviours.set('stall_late', async ({payload, signal}) => {
      if (stall && (payload.index as number) >= 50) await sleep(60_000, undefined, {signal})
      return {payload: {...payload}}
    })
    const config = pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 4}, adapters: [{type: 'fan_out', config: {count: 300}}, {type: 'probe', config: {name: 'stall_late'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 2}, adapters: [{type: 'probe', id: 'store', config: {name: 'store'}}]},
      },
      init_message: {route: 'a', payload: {}},
    })
    harness = await createHarness(config, {registry})
    const first = harness.orchestrator
    await first.start()
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(20), {timeout: 5000})
    const cancelled = await first.cancel('simulated crash')
    stall = false
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.routes.a!.completed).toBe(0)
    expect(cancelled.routes.a!.elements_done).toBe(50)
    expect(seen.length).toBeLessThanOrEqual(50)
    expect(harness.rows.filter((r) => r.route_id === 'a' && r.stage_status === 'cancelled').length).toBeGreaterThan(0)
    expect(await harness.queue.depth!(scopeDestination('/queue/a', first.executionId))).toBe(1)

    const second = new PipelineOrchestrator({pipeline: config, executionId: first.executionId, resume: true, statsIntervalMs: 0},
      {queue: harness.queue, storage: harness.storage, lineage: harness.lineage, registry, logger: silentLogger})
    await second.start()
    const resumed = await second.result
    expect(resumed.status).toBe('completed')
    expect(resumed.routes.a).toMatchObject({completed: 1, elements_done: 300})
    expect(new Set(seen).size).toBe(300)
    expect(await storedKeys(harness, first.executionId, 'b', 'store')).toHaveLength(300)
  })
})

describe('streamed fan-out (an adapter returning an async iterable)', () => {
  it('starts each output down the chain while the adapter produces the next, without pulling far ahead of the route', async () => {
    let produced = 0
    let lead = 0
    let producing = true
    behaviours.set('crawl', async () => (async function* pages() {
      for (let i = 0; i < 200; i++) {
        produced++
        yield {payload: {page: i}}
      }
      producing = false
    })())
    let processed = 0
    behaviours.set('slow_page', async ({payload}) => {
      lead = Math.max(lead, produced - processed)
      await sleep(1)
      processed++
      return {payload: {...payload}}
    })
    let firstDownstreamWhileProducing: boolean | undefined
    behaviours.set('record', async () => {
      firstDownstreamWhileProducing ??= producing
      return null
    })
    harness = await createHarness(pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 2}, adapters: [{type: 'probe', id: 'crawl', config: {name: 'crawl'}}, {type: 'probe', id: 'page', config: {name: 'slow_page'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 2}, adapters: [{type: 'probe', config: {name: 'record'}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.b!.completed).toBe(200)
    expect(result.routes.a).toMatchObject({completed: 1, elements: 200, elements_done: 200})
    expect(firstDownstreamWhileProducing).toBe(true)
    // The pool holds at most its high-water mark (16) waiting, plus the elements running.
    expect(lead).toBeLessThanOrEqual(16 + 2 + 2)
    const crawlRow = harness.rows.find((r) => r.stage_name === 'crawl')!
    expect(crawlRow).toMatchObject({stage_status: 'completed', metadata: {emitted: 200}})
  })

  it('treats a stream of exactly one output like a single output: same message id, no element counted', async () => {
    behaviours.set('one', async ({payload}) => (async function* one() {
      yield {payload: {...payload, one: true}}
    })())
    harness = await createHarness(pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'probe', id: 'one', config: {name: 'one'}}, {type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.routes.a).toMatchObject({completed: 1, elements: 0})
    expect(new Set(harness.rows.map((r) => r.message_id)).size).toBe(1)
  })

  it('retries the parent when the stream throws midway, re-emitting the same element ids', async () => {
    behaviours.set('broken_stream', async ({message}) => (async function* pages() {
      for (let i = 0; i < 10; i++) {
        if (i === 5 && message.attempt === 1) throw new ExternalError('INJECTED_FAILURE', 'connection reset', {retryable: true})
        yield {payload: {page: i}}
      }
    })())
    const seen: string[] = []
    behaviours.set('store', storeEach(seen))
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'probe', id: 'source', config: {name: 'broken_stream'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'probe', id: 'store', config: {name: 'store'}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {registry})
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.a).toMatchObject({completed: 1, failed: 1})
    expect(new Set(seen).size).toBe(10)
    expect(await storedKeys(harness, harness.orchestrator.executionId, 'b', 'store')).toHaveLength(10)
    expect(harness.rows.filter((r) => r.stage_name === 'source').map((r) => r.stage_status)).toEqual(['failed', 'completed'])
  })

  it('requeues the parent when cancelled mid-stream, even if the source ignores the signal, and a resumed run stores every output once', async () => {
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => { openGate = resolve })
    behaviours.set('ignores_signal', async ({message}) => (async function* pages() {
      for (let i = 0; i < 100; i++) {
        // The first run's source stalls after 20 outputs until the test has cancelled.
        if (i === 20 && message.attempt === 1) await gate
        yield {payload: {page: i}}
      }
    })())
    const seen: string[] = []
    behaviours.set('store', storeEach(seen))
    const config = pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 2}, adapters: [{type: 'probe', id: 'source', config: {name: 'ignores_signal'}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'probe', id: 'store', config: {name: 'store'}}]},
      },
      init_message: {route: 'a', payload: {}},
    })
    harness = await createHarness(config, {registry})
    const first = harness.orchestrator
    await first.start()
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(10), {timeout: 5000})
    const cancelling = first.cancel('simulated crash')
    openGate()
    const cancelled = await cancelling
    expect(cancelled.routes.a!.completed).toBe(0)
    expect(await harness.queue.depth!(scopeDestination('/queue/a', first.executionId))).toBe(1)
    expect(harness.rows.find((r) => r.stage_name === 'source')!.stage_status).toBe('cancelled')

    const second = new PipelineOrchestrator({pipeline: config, executionId: first.executionId, resume: true, statsIntervalMs: 0},
      {queue: harness.queue, storage: harness.storage, lineage: harness.lineage, registry, logger: silentLogger})
    await second.start()
    expect((await second.result).status).toBe('completed')
    expect(new Set(seen).size).toBe(100)
    expect(await storedKeys(harness, first.executionId, 'b', 'store')).toHaveLength(100)
  })
})
