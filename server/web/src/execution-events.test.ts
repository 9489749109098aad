import {describe, expect, it} from 'vitest'

import {applyEvent, type ExecutionLive, initialLive, MAX_RECENT, type RouteCounters, type StreamEvent, totalsOf} from './execution-events.js'

const counters = (completed: number, extra: Partial<RouteCounters> = {}): RouteCounters => ({
  received: completed, completed, failed: 0, dead_lettered: 0, unchanged: 0, embedded: 0, in_flight: 0, paused: false,
  concurrency_limit: 4, elements: 0, elements_done: 0, elements_failed: 0, ended_unchanged: 0, ...extra,
})
let n = 0
const ev = (event: string, data: Record<string, unknown>): StreamEvent => ({id: `e${++n}`, event, data})
const fold = (events: StreamEvent[], state: ExecutionLive = initialLive()) => events.reduce(applyEvent, state)

describe('the execution event reducer', () => {
  it('follows an execution from started through stats to its terminal status', () => {
    const state = fold([
      ev('execution.started', {routes: ['read', 'load']}),
      ev('stats', {routes: {read: counters(1), load: counters(0)}, timestamp: '2026-12-07T10:00:00.000Z'}),
      ev('stats', {routes: {read: counters(3), load: counters(2)}, timestamp: '2026-12-07T10:00:01.000Z'}),
      ev('execution.completed', {status: 'completed'}),
    ])
    expect(state.status).toBe('completed')
    expect(state.ended).toBe(true)
    expect(state.routes.read!.completed).toBe(3)
    expect(totalsOf(state.routes)).toMatchObject({received: 5, completed: 5})
    expect(state.recent.map((e) => e.event)).toEqual(['execution.completed', 'execution.started'])
  })

  it('computes rates from the events\' timestamps, so a replayed stream shows no burst', () => {
    const state = fold([
      ev('stats', {routes: {read: counters(0)}, timestamp: '2026-12-07T10:00:00.000Z'}),
      ev('stats', {routes: {read: counters(10, {dead_lettered: 2})}, timestamp: '2026-12-07T10:00:02.000Z'}),
    ])
    // (10 completed + 2 dead-lettered) over 2 s of stream time, however fast the events arrived.
    expect(state.rates.read).toBe(6)
    expect(state.status).toBe('running')
  })

  it('keeps only the last few seconds of samples for the rate', () => {
    const events = Array.from({length: 20}, (_, i) => ev('stats', {routes: {read: counters(i * i)}, timestamp: new Date(Date.UTC(2026, 11, 7, 10, 0, i)).toISOString()}))
    const state = fold(events)
    expect(state.samples.length).toBeLessThanOrEqual(7)
    // Over the last 5 s (14 → 19): (361 - 196) / 5.
    expect(state.rates.read).toBeCloseTo(33)
  })

  it('lists failed attempts and dead letters, newest first, with their route and error', () => {
    const state = fold([
      ev('message.failed', {route_id: 'read', stage: 'file_reader', attempt: 1, will_retry: true, error: {message: 'ENOENT', code: 'FILE_NOT_FOUND'}}),
      ev('message.dead_lettered', {dead_letter: {route_id: 'read', stage: 'file_reader', attempts: 2, error: {message: 'ENOENT again'}}}),
    ])
    expect(state.failures).toMatchObject([
      {route_id: 'read', dead_lettered: true, message: 'ENOENT again', attempt: 2},
      {route_id: 'read', stage: 'file_reader', will_retry: true, error_code: 'FILE_NOT_FOUND'},
    ])
  })

  it('marks a route paused and resumed between stats, and records circuit states', () => {
    let state = fold([ev('stats', {routes: {read: counters(1)}})])
    state = fold([ev('route.paused', {route_id: 'read'}), ev('circuit.opened', {route_id: 'read', stage: 'llm'})], state)
    expect(state.routes.read!.paused).toBe(true)
    expect(state.circuits).toEqual({'read/llm': 'opened'})
    state = applyEvent(state, ev('route.resumed', {route_id: 'read'}))
    expect(state.routes.read!.paused).toBe(false)
  })

  it('ignores what comes after the terminal event and caps the recent list', () => {
    const many = Array.from({length: MAX_RECENT + 50}, () => ev('route.paused', {route_id: 'x'}))
    let state = fold(many)
    expect(state.recent).toHaveLength(MAX_RECENT)
    state = fold([ev('execution.failed', {status: 'failed', error: 'boom'}), ev('stats', {routes: {read: counters(9)}})], state)
    expect(state.status).toBe('failed')
    expect(state.terminalError).toBe('boom')
    expect(state.routes.read).toBeUndefined()
  })
})
