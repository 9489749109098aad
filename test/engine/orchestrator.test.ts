import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {MemoryQueueProvider} from '../../src/queue/memory-queue-provider.js'
import {scopeDestination} from '../../src/queue/create-queue-provider.js'
import {createHarness, type Harness, pipeline} from '../helpers/engine-harness.js'

const FAST_RETRY = {max_retries: 2, retry_delay_seconds: 0.01, backoff: 'fixed' as const, dead_letter_queue: '/queue/dlq'}

let harness: Harness | undefined
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

describe('PipelineOrchestrator', () => {
  it('lets many in-flight adapter calls listen to the execution signal without a listener-leak warning', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      harness = await createHarness(pipeline({
        version: '1.0',
        error_handling: FAST_RETRY,
        routes: {
          a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 40}}], outbound: [{queue: '/queue/b'}]},
          b: {inbound: {queue: '/queue/b', concurrency: 32, prefetch: 64}, adapters: [{type: 'delay', config: {ms: 30}}]},
        },
        init_message: {route: 'a', payload: {}},
      }))
      await harness.orchestrator.start()
      expect((await harness.orchestrator.result).routes.b!.completed).toBe(40)
      await sleep(10)
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('runs a fan-out tree to completion and counts every hop', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 3}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 4}, adapters: [{type: 'fan_out', id: 'split', config: {count: 2, field: 'j'}}], outbound: [{queue: '/queue/c'}]},
        c: {inbound: {queue: '/queue/c', concurrency: 4}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {seed: 1}},
    }))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.a!.completed).toBe(1)
    expect(result.routes.b!.completed).toBe(3)
    expect(result.routes.c!.completed).toBe(6)
    expect(result.messages).toEqual({total: 10, completed: 10, failed: 0, dead_lettered: 0})
  })

  it('writes a lineage row per invocation whose parent links walk back to the init message', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 2}}, {type: 'passthrough'}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    await harness.orchestrator.result
    const rows = harness.rows
    // a: fan_out once + passthrough twice; b: passthrough twice.
    expect(rows).toHaveLength(5)
    expect(rows.every((r) => r.stage_status === 'completed' && r.execution_id === harness!.orchestrator.executionId)).toBe(true)
    const byMessage = new Map(rows.map((r) => [r.message_id, r]))
    const root = rows.find((r) => r.adapter_name === 'fan_out')!
    expect(root.parent_id).toBeNull()
    for (const leaf of rows.filter((r) => r.route_id === 'b')) {
      // b's message → its parent (a's fan-out element) → that element's parent is the init message.
      const element = byMessage.get(leaf.parent_id!)!
      expect(element.route_id).toBe('a')
      expect(element.adapter_name).toBe('passthrough')
      expect(element.parent_id).toBe(root.message_id)
    }
    expect(new Set(rows.map((r) => r.correlation_id)).size).toBe(1)
  })

  it('skips adapters whose condition is false and publishes only to outbound queues whose condition holds', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {
          inbound: {queue: '/queue/a'},
          adapters: [
            {type: 'fan_out', config: {count: 4, field: 'n'}},
            {type: 'passthrough', config: {set: {big: true}}, condition: {field: 'n', operator: 'gte', value: 2}},
          ],
          outbound: [
            {queue: '/queue/big', condition: {field: 'big', operator: 'equals', value: true}},
            {queue: '/queue/small', condition: {field: 'big', operator: 'not_exists'}},
          ],
        },
        big: {inbound: {queue: '/queue/big'}, adapters: [{type: 'passthrough'}]},
        small: {inbound: {queue: '/queue/small'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.routes.big!.completed).toBe(2)
    expect(result.routes.small!.completed).toBe(2)
    expect(harness.rows.filter((r) => r.stage_status === 'skipped' && r.route_id === 'a')).toHaveLength(2)
  })

  it('dead-letters a poison message after its last retry while the others complete', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 5, field: 'n'}}], outbound: [{queue: '/queue/b'}]},
        b: {
          inbound: {queue: '/queue/b', concurrency: 2},
          adapters: [
            {type: 'passthrough', config: {set: {}}},
            {type: 'fail', id: 'poison', condition: {field: 'n', operator: 'equals', value: 3}, config: {mode: 'always', retryable: true, message: 'poisoned'}},
          ],
        },
      },
      init_message: {route: 'a', payload: {}},
    }))
    const dlq: string[] = []
    await harness.queue.subscribe('/queue/dlq', {subscription: 'inspect', prefetch: 10}, async (d) => { dlq.push(d.body); return 'ack' })
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.b!.completed).toBe(4)
    expect(result.routes.b!.dead_lettered).toBe(1)
    // First attempt + 2 retries.
    expect(result.routes.b!.failed).toBe(3)
    expect(result.dead_letters).toHaveLength(1)
    const dead = result.dead_letters[0]!
    expect(dead).toMatchObject({route_id: 'b', stage: 'poison', attempts: 3})
    expect(dead.error.message).toBe('poisoned')
    expect(dead.envelope.payload.n).toBe(3)
    await sleep(20)
    expect(dlq).toHaveLength(1)
    expect(JSON.parse(dlq[0]!)).toMatchObject({route_id: 'b', stage: 'poison', attempts: 3, error: {message: 'poisoned'}})
    expect(harness.rows.filter((r) => r.stage_status === 'failed')).toHaveLength(3)
  })

  it('dead-letters a terminal error at once, without retrying', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fail', config: {retryable: false}}]}},
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.routes.a).toMatchObject({failed: 1, dead_lettered: 1})
  })

  it('completes a message whose adapter succeeds on retry', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fail', id: 'flaky', config: {mode: 'first_attempts', attempts: 2}}]}},
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.routes.a).toMatchObject({completed: 1, failed: 2, dead_lettered: 0})
    const attempts = harness.rows.map((r) => r.stage_status)
    expect(attempts).toEqual(['failed', 'failed', 'completed'])
    // A retry keeps message and correlation id.
    expect(new Set(harness.rows.map((r) => r.message_id)).size).toBe(1)
    expect(new Set(harness.rows.map((r) => r.correlation_id)).size).toBe(1)
  })

  it('opens the circuit after consecutive failures, holds messages while open, and closes on a good trial', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: {...FAST_RETRY, max_retries: 10},
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 4}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 1}, adapters: [{type: 'fail', id: 'shaky', config: {mode: 'first_calls', calls: 3}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {circuitBreaker: {failureThreshold: 3, cooldownMs: 150}})
    const started = Date.now()
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.b).toMatchObject({completed: 4, dead_lettered: 0, failed: 3})
    const circuit = harness.events.filter((e) => e.type.startsWith('circuit.')).map((e) => e.type)
    expect(circuit).toEqual(['circuit.opened', 'circuit.half_open', 'circuit.closed'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('cancels mid-run: in-flight adapters are aborted and their messages go back to the queue, none lost', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 20}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 2, prefetch: 4}, adapters: [{type: 'delay', config: {ms: 40}}]},
      },
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    await sleep(100)
    const result = await harness.orchestrator.cancel('test')
    expect(result.status).toBe('cancelled')
    const done = result.routes.b!.completed
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(20)
    const left = await harness.queue.depth!(`/queue/exec.${harness.orchestrator.executionId}.b`)
    expect(done + (left ?? 0)).toBe(20)
    expect(harness.rows.filter((r) => r.stage_status === 'cancelled').length).toBeGreaterThan(0)
  })

  it('pauses and resumes a route without losing messages', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 10}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    harness.orchestrator.pauseRoute('b')
    await sleep(50)
    const paused = harness.orchestrator.routeCounters().b!.completed
    await sleep(50)
    expect(harness.orchestrator.routeCounters().b!.completed).toBe(paused)
    harness.orchestrator.resumeRoute('b')
    const result = await harness.orchestrator.result
    expect(result.routes.b!.completed).toBe(10)
    expect(harness.events.map((e) => e.type)).toEqual(expect.arrayContaining(['route.paused', 'route.resumed']))
  })

  it('fails the execution when the dead-letter ratio passes max_failure_ratio', async () => {
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: {...FAST_RETRY, max_retries: 0, max_failure_ratio: 0.2},
      routes: {
        a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fan_out', config: {count: 30}}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b'}, adapters: [{type: 'fail', config: {retryable: false}}]},
      },
      init_message: {route: 'a', payload: {}},
    }))
    await harness.orchestrator.start()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/max_failure_ratio/)
  })

  it('makes a fast route wait for a slow one downstream: the queue between them stays bounded, nothing is lost', async () => {
    const queue = new MemoryQueueProvider({limits: {maxDepth: 50}})
    harness = await createHarness(pipeline({
      version: '1.0',
      routes: {
        a: {inbound: {queue: '/queue/a', concurrency: 8}, adapters: [{type: 'passthrough'}], outbound: [{queue: '/queue/b'}]},
        b: {inbound: {queue: '/queue/b', concurrency: 2, prefetch: 2}, adapters: [{type: 'delay', config: {ms: 1}}]},
      },
      init_message: {route: 'a', payload: {}},
    }), {queue, skipInitMessage: true})
    await harness.orchestrator.start()
    const between = scopeDestination('/queue/b', harness.orchestrator.executionId)
    let deepest = 0
    const sampler = setInterval(() => void queue.depth(between).then((depth) => { deepest = Math.max(deepest, depth ?? 0) }), 1)
    try {
      for (let sent = 0; sent < 600; sent += 20) {
        await harness.orchestrator.inject('a', Array.from({length: 20}, (_, i) => ({payload: {n: sent + i}})))
      }
      harness.orchestrator.endInput()
      const result = await harness.orchestrator.result
      expect(result.status).toBe('completed')
      expect(result.routes.b!.completed).toBe(600)
    } finally {
      clearInterval(sampler)
    }
    // Without flow control route a (8 slots, no delay) would pile up most of the 600 before b.
    expect(deepest).toBeGreaterThan(0)
    expect(deepest).toBeLessThanOrEqual(50 + 8)
  })

  it('rejects broker messages that are not envelopes and gives their slot back: the valid ones after them complete', async () => {
    // One slot: a rejected message that kept its slot would leave the valid ones waiting forever.
    harness = await createHarness(pipeline({
      version: '1.0',
      error_handling: FAST_RETRY,
      routes: {a: {inbound: {queue: '/queue/a', concurrency: 1, prefetch: 8}, adapters: [{type: 'passthrough'}]}},
      init_message: {route: 'a', payload: {}},
    }), {skipInitMessage: true})
    await harness.orchestrator.start()
    const inbound = scopeDestination('/queue/a', harness.orchestrator.executionId)
    for (const body of ['not json', '{"payload": {}}', '[]', '{"message_id": ""}']) await harness.queue.publish(inbound, body)
    await harness.orchestrator.inject('a', [{payload: {n: 1}}, {payload: {n: 2}}, {payload: {n: 3}}])
    harness.orchestrator.endInput()
    const result = await harness.orchestrator.result
    expect(result.status).toBe('completed')
    expect(result.routes.a).toMatchObject({received: 3, completed: 3, failed: 0})
    expect(harness.rows.filter((row) => row.route_id === 'a')).toHaveLength(3)
  })

  it('refuses to start a pipeline that uses an adapter that is not implemented', async () => {
    const {createAdapterRegistry, builtinAdapters} = await import('../../src/adapters/registry.js')
    const {defineAdapter} = await import('../../src/adapters/types.js')
    const {PipelineOrchestrator} = await import('../../src/engine/pipeline-orchestrator.js')
    const {silentLogger} = await import('../../src/logging/logger.js')
    const {z} = await import('zod')
    const registry = createAdapterRegistry([...builtinAdapters,
      defineAdapter({type: 'declared_only', family: 'testing', summary: 'declared, no implementation', configSchema: z.strictObject({})})])
    const config = pipeline({
      version: '1.0',
      routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'declared_only'}]}},
      init_message: {route: 'a', payload: {}},
    })
    harness = await createHarness(config)
    const orchestrator = new PipelineOrchestrator({pipeline: config}, {queue: harness.queue, storage: harness.storage, lineage: harness.lineage, registry, logger: silentLogger})
    await expect(orchestrator.start()).rejects.toMatchObject({code: 'ADAPTER_NOT_IMPLEMENTED'})
  })
})

describe('retry delay', () => {
  it('waits at least the Retry-After an adapter reports before retrying', async () => {
    const {defineAdapter} = await import('../../src/adapters/types.js')
    const {createAdapterRegistry, builtinAdapters} = await import('../../src/adapters/registry.js')
    const {ExternalError} = await import('../../src/errors/index.js')
    const {z} = await import('zod')
    const {PipelineOrchestrator} = await import('../../src/engine/pipeline-orchestrator.js')
    const {silentLogger} = await import('../../src/logging/logger.js')
    const calls: number[] = []
    const registry = createAdapterRegistry([...builtinAdapters, defineAdapter({
      type: 'rate_limited_once', family: 'testing', summary: 'fails once with Retry-After 300 ms', configSchema: z.strictObject({}),
      load: async () => ({createAdapter: () => ({
        async process({payload}) {
          calls.push(Date.now())
          if (calls.length === 1) throw new ExternalError('RATE_LIMITED', 'slow down', {retryable: true, details: {retry_after_ms: 300}})
          return {payload}
        },
      })}),
    })])
    const config = pipeline({
      version: '1.0', error_handling: FAST_RETRY,
      routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'rate_limited_once'}]}},
      init_message: {route: 'a', payload: {}},
    })
    // The harness gives the broker and storage; the orchestrator gets a registry with the extra adapter.
    harness = await createHarness(config)
    const orchestrator = new PipelineOrchestrator({pipeline: config, statsIntervalMs: 0},
      {queue: harness.queue, storage: harness.storage, lineage: harness.lineage, registry, logger: silentLogger})
    await orchestrator.start()
    const result = await orchestrator.result
    expect(result.routes.a).toMatchObject({completed: 1, failed: 1})
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(290)
  })
})
