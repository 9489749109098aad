import {describe, expect, it} from 'vitest'

import type {ExecutionEvent} from '../engine/events.js'
import type {EventArchive, LoggedEvent} from '../executions/logged-event.js'
import {ExecutionEventLog} from './execution-event-log.js'

const stats = (n: number): ExecutionEvent => ({type: 'stats', execution_id: 'e', routes: {r: {received: n} as never}})

function memoryArchive(): EventArchive & {rows: LoggedEvent[]} {
  const rows: LoggedEvent[] = []
  return {
    rows,
    async append(_id, events) { rows.push(...events) },
    async since(_id, afterId) { return rows.filter((e) => afterId === undefined || e.id > afterId) },
  }
}

describe('ExecutionEventLog', () => {
  it('gives every event an increasing id and a timestamp, and leaves out per-message events', () => {
    const log = new ExecutionEventLog('e')
    const a = log.append(stats(1))!
    const b = log.append(stats(2))!
    expect(log.append({type: 'message.processing', execution_id: 'e', route_id: 'r', message_id: 'm'})).toBeUndefined()
    expect(b.id > a.id).toBe(true)
    expect(a).toMatchObject({event: 'stats', data: {execution_id: 'e'}, timestamp: expect.stringMatching(/Z$/)})
  })

  it('replays from the archive when the client is further behind than the buffer', async () => {
    const archive = memoryArchive()
    const log = new ExecutionEventLog('e', archive, 3)
    const all = Array.from({length: 10}, (_, i) => log.append(stats(i))!)
    const seen: string[] = []
    const stop = await log.subscribe(all[1]!.id, (e) => seen.push(e.id))
    expect(seen).toEqual(all.slice(2).map((e) => e.id))
    const fromStart: string[] = []
    await log.subscribe(undefined, (e) => fromStart.push(e.id))
    expect(fromStart).toEqual(all.map((e) => e.id))
    log.append(stats(10))
    expect(seen).toHaveLength(9)
    stop()
    log.append(stats(11))
    expect(seen).toHaveLength(9)
  })

  it('delivers events appended while the archive is read exactly once', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const archive = memoryArchive()
    const slow: EventArchive = {append: archive.append, since: async (id, after) => { await gate; return archive.since(id, after) }}
    const log = new ExecutionEventLog('e', slow, 2)
    const early = Array.from({length: 5}, (_, i) => log.append(stats(i))!)
    const seen: string[] = []
    const subscribed = log.subscribe(early[0]!.id, (e) => seen.push(e.id))
    await new Promise((resolve) => setTimeout(resolve, 250))
    const late = log.append(stats(99))!
    release()
    await subscribed
    expect(seen).toEqual([...early.slice(1), late].map((e) => e.id))
  })

  it('takes no event after the terminal one', () => {
    const log = new ExecutionEventLog('e')
    log.append({type: 'execution.completed', execution_id: 'e', status: 'completed'})
    expect(log.terminal?.event).toBe('execution.completed')
    expect(log.append(stats(1))).toBeUndefined()
  })
})
