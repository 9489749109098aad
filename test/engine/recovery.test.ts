import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {PipelineOrchestrator} from '../../src/engine/pipeline-orchestrator.js'
import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import type {DeliveryHandler, QueueProvider} from '../../src/queue/types.js'
import {createObjectStore} from '../../src/storage/create-object-store.js'
import {CollectingLineageWriter, pipeline} from '../helpers/engine-harness.js'

let dir: string | undefined
afterEach(async () => {
  if (dir) await rm(dir, {recursive: true, force: true})
  dir = undefined
})

/** Wraps a provider so the first delivery on `queueSuffix` does its work, then "crashes" before the ack. */
function crashOnce(queue: QueueProvider, queueSuffix: string, crash: () => void): QueueProvider {
  let crashed = false
  return new Proxy(queue, {
    get(target, prop, receiver) {
      if (prop !== 'subscribe') return Reflect.get(target, prop, receiver)
      return (destination: string, options: Parameters<QueueProvider['subscribe']>[1], handler: DeliveryHandler) =>
        target.subscribe(destination, options, async (delivery) => {
          const outcome = await handler(delivery)
          if (!crashed && destination.endsWith(queueSuffix)) {
            crashed = true
            crash()
            return 'requeue'
          }
          return outcome
        })
    },
  })
}

describe('recovery', () => {
  it('redelivers a message whose process crashed before the ack, without duplicating its work in storage', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-recovery-'))
    await mkdir(path.join(dir, 'docs'))
    for (let i = 0; i < 5; i++) await writeFile(path.join(dir, 'docs', `page-${i}.md`), `# Page ${i}\n`)
    const config = pipeline({
      version: '1.0',
      error_handling: {max_retries: 1, retry_delay_seconds: 0.01, dead_letter_queue: '/queue/dlq'},
      routes: {
        list: {inbound: {queue: '/queue/list'}, adapters: [{type: 'directory_lister', config: {path: path.join(dir, 'docs'), include: '**/*.md'}}], outbound: [{queue: '/queue/read'}]},
        read: {inbound: {queue: '/queue/read', concurrency: 1, prefetch: 1}, adapters: [{type: 'file_reader'}], outbound: [{queue: '/queue/load'}]},
        load: {inbound: {queue: '/queue/load'}, adapters: [{type: 'passthrough'}]},
      },
      init_message: {route: 'list', payload: {}},
    })
    const broker = await createQueueProvider('memory://', {logger: silentLogger})
    await broker.connect()
    const storage = await createObjectStore(`file://${dir}/storage`)
    const lineage = new CollectingLineageWriter()
    const deps = {storage, lineage, registry: builtinAdapterRegistry(), logger: silentLogger, files: {root: dir}}

    // First process: crashes right after storing the first file, before acking it.
    const crashing = crashOnce(broker, '.read', () => void first.cancel('simulated crash'))
    const first: PipelineOrchestrator = new PipelineOrchestrator({pipeline: config, statsIntervalMs: 0}, {...deps, queue: crashing})
    await first.start()
    const crashed = await first.result
    expect(crashed.status).toBe('cancelled')

    // Second process: the broker still holds the execution's queues; it resumes from them.
    const second = new PipelineOrchestrator({pipeline: config, executionId: first.executionId, resume: true, statsIntervalMs: 0}, {...deps, queue: broker})
    await second.start()
    const resumed = await second.result
    expect(resumed.status).toBe('completed')

    const stored = await storage.list(`executions/${first.executionId}/read/file_reader/`)
    expect(stored.objects).toHaveLength(5)
    const reads = lineage.rows.filter((r) => r.adapter_name === 'file_reader' && r.stage_status === 'completed')
    // The crashed message was processed twice (at-least-once), under the same message id.
    expect(reads.length).toBe(6)
    expect(new Set(reads.map((r) => r.message_id)).size).toBe(5)
    const loads = lineage.rows.filter((r) => r.route_id === 'load' && r.stage_status === 'completed')
    expect(new Set(loads.map((r) => r.message_id)).size).toBe(5)
    await broker.close()
  })
})
