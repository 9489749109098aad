import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {CpuPool} from '../../src/cpu/cpu-task.js'
import {type AdapterRegistry, builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {pipelineSchema, type PipelineConfig} from '../../src/config/pipeline-schema.js'
import type {ExecutionEvent} from '../../src/engine/events.js'
import {type ExecutionOptions, PipelineOrchestrator} from '../../src/engine/pipeline-orchestrator.js'
import type {LineageRow, LineageWriter} from '../../src/lineage/types.js'
import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider} from '../../src/queue/create-queue-provider.js'
import type {QueueProvider} from '../../src/queue/types.js'
import {createObjectStore} from '../../src/storage/create-object-store.js'
import type {ObjectStore} from '../../src/storage/types.js'

/** A lineage writer that keeps rows in memory, for engine tests that check lineage shape. */
export class CollectingLineageWriter implements LineageWriter {
  readonly rows: LineageRow[] = []
  write(row: LineageRow): void { this.rows.push(row) }
  async flush(): Promise<void> {}
  stats() { return {written: this.rows.length, pending: 0, failedFlushes: 0, dropped: 0} }
  async close(): Promise<void> {}
}

export interface Harness {
  queue: QueueProvider
  storage: ObjectStore
  lineage: LineageWriter
  rows: LineageRow[]
  dir: string
  events: ExecutionEvent[]
  orchestrator: PipelineOrchestrator
  cleanup(): Promise<void>
}

/** Parses a pipeline object the way the loader does (defaults applied). */
export function pipeline(input: unknown): PipelineConfig {
  return pipelineSchema.parse(input)
}

export interface HarnessOptions extends Omit<ExecutionOptions, 'pipeline' | 'lineage'> {
  queue?: QueueProvider
  lineageWriter?: LineageWriter
  lineageEnabled?: boolean
  /** Default: the built-in adapters. */
  registry?: AdapterRegistry
  /** Where CPU tasks run; default: this thread. */
  cpu?: CpuPool
}

/** Builds an orchestrator on the memory broker and file storage in a temp dir (not started). */
export async function createHarness(config: PipelineConfig, options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-engine-'))
  const queue = options.queue ?? await createQueueProvider('memory://', {logger: silentLogger})
  await queue.connect()
  const storage = await createObjectStore(`file://${dir}/storage`)
  const collecting = new CollectingLineageWriter()
  const lineage = options.lineageWriter ?? collecting
  const {queue: _q, lineageWriter: _l, lineageEnabled, registry, cpu, ...execution} = options
  const orchestrator = new PipelineOrchestrator(
    {pipeline: config, lineage: lineageEnabled ?? true, statsIntervalMs: 0, ...execution},
    {queue, storage, lineage, registry: registry ?? builtinAdapterRegistry(), logger: silentLogger, cpu},
  )
  const events: ExecutionEvent[] = []
  orchestrator.on((e) => events.push(e))
  return {
    queue, storage, lineage, rows: collecting.rows, dir, events, orchestrator,
    async cleanup() {
      await queue.close().catch(() => undefined)
      await rm(dir, {recursive: true, force: true})
    },
  }
}
