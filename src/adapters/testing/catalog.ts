import {z} from 'zod'

import {defineAdapter} from '../types.js'

/**
 * The engine's own adapters: pass-through, fan-out, delay and failure injection. Useful to try a
 * broker or a topology without touching the network, and what the engine tests and benchmarks run.
 */
export const passthroughConfig = z.strictObject({
  set: z.record(z.string(), z.unknown()).optional().describe('Fields to set on the payload'),
})

export const fanOutConfig = z.strictObject({
  count: z.int().min(0).max(100_000).default(2).describe('Messages to emit per input'),
  field: z.string().default('index').describe('Payload field that receives the element index'),
})

export const delayConfig = z.strictObject({
  ms: z.int().min(0).max(3_600_000).default(10),
  busy: z.boolean().default(false).describe('Keep a thread of the CPU pool busy for the time instead of sleeping'),
})

export const failConfig = z.strictObject({
  mode: z.enum(['always', 'first_attempts', 'first_calls', 'when_field']).default('always'),
  attempts: z.int().min(1).max(1000).default(1).describe('With first_attempts: fail this many attempts of each message, then pass'),
  calls: z.int().min(1).max(1_000_000).default(1).describe('With first_calls: fail the first N calls of the adapter (any message), then pass'),
  field: z.string().optional().describe('With when_field: fail when this payload field is truthy'),
  retryable: z.boolean().default(true),
  message: z.string().default('injected failure'),
  in_worker: z.boolean().default(false).describe('Throw from a task in the CPU pool (a worker thread) instead of this thread'),
})

export const testingAdapters = [
  defineAdapter({
    type: 'passthrough',
    family: 'testing',
    summary: 'Passes the message on unchanged (optionally setting fields)',
    io: 'any → same payload',
    configSchema: passthroughConfig,
    example: {set: {stage_seen: true}},
    load: () => import('./passthrough.js'),
  }),
  defineAdapter({
    type: 'fan_out',
    family: 'testing',
    summary: 'Emits `count` copies of each message, numbered in `field`',
    io: 'any → payload + { <field>: i } × count',
    configSchema: fanOutConfig,
    example: {count: 3},
    load: () => import('./fan-out.js'),
  }),
  defineAdapter({
    type: 'delay',
    family: 'testing',
    summary: 'Waits `ms` milliseconds (honouring cancellation), then passes the message on',
    io: 'any → same payload',
    configSchema: delayConfig,
    example: {ms: 50},
    load: () => import('./delay.js'),
  }),
  defineAdapter({
    type: 'fail',
    family: 'testing',
    summary: 'Injects failures: always, for the first N attempts or calls, or when a payload field is set',
    io: 'any → same payload (when it does not fail)',
    configSchema: failConfig,
    example: {mode: 'first_attempts', attempts: 2},
    load: () => import('./fail.js'),
  }),
]
