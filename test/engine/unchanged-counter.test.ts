import {afterEach, describe, expect, it} from 'vitest'
import {z} from 'zod'

import {builtinAdapters, createAdapterRegistry} from '../../src/adapters/registry.js'
import {defineAdapter} from '../../src/adapters/types.js'
import {PipelineOrchestrator} from '../../src/engine/pipeline-orchestrator.js'
import {silentLogger} from '../../src/logging/logger.js'
import {createHarness, type Harness, pipeline} from '../helpers/engine-harness.js'

/** An adapter that always says it reused stored work. */
const reuseStored = defineAdapter({
  type: 'reuse_stored', family: 'testing', summary: 'marks every invocation unchanged', configSchema: z.strictObject({}),
  load: async () => ({createAdapter: () => ({
    async process(context) {
      context.markSkipped('unchanged')
      return {payload: {...context.payload}}
    },
  })}),
})

let harness: Harness | undefined
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

describe('the unchanged counter of a route', () => {
  it('counts a completed message once however many of its stages and fan-out elements reused work, and a failed one not at all', async () => {
    const config = pipeline({
      version: '1.0',
      error_handling: {max_retries: 0, dead_letter_queue: '/queue/dlq'},
      routes: {
        a: {
          inbound: {queue: '/queue/a'},
          adapters: [{type: 'fan_out', config: {count: 3, field: 'n'}}, {type: 'reuse_stored'}, {type: 'reuse_stored', id: 'again'}],
          outbound: [{queue: '/queue/b'}],
        },
        b: {
          inbound: {queue: '/queue/b'},
          adapters: [{type: 'reuse_stored'}, {type: 'fail', condition: {field: 'n', operator: 'equals', value: 1}, config: {retryable: false}}],
        },
      },
      init_message: {route: 'a', payload: {}},
    })
    harness = await createHarness(config)
    const orchestrator = new PipelineOrchestrator({pipeline: config, statsIntervalMs: 0}, {
      queue: harness.queue, storage: harness.storage, lineage: harness.lineage, logger: silentLogger,
      registry: createAdapterRegistry([...builtinAdapters, reuseStored]),
    })
    await orchestrator.start()
    const result = await orchestrator.result
    expect(result.routes.a).toMatchObject({received: 1, completed: 1, unchanged: 1})
    expect(result.routes.b).toMatchObject({received: 3, completed: 2, dead_lettered: 1, unchanged: 2})
    // Lineage still has a `skipped` row per invocation that reused work.
    const skipped = harness.rows.filter((row) => row.stage_status === 'skipped' && row.metadata?.reason === 'unchanged')
    expect(skipped.filter((row) => row.route_id === 'a')).toHaveLength(6)
    expect(skipped.filter((row) => row.route_id === 'b')).toHaveLength(3)
  })
})
