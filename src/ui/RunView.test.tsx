import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'

import {formatProgressLine, lineageNote, RunProgressModel} from './run-progress-model.js'
import {RunView} from './RunView.js'

const counters = {received: 10, completed: 7, failed: 2, dead_lettered: 1, unchanged: 0, embedded: 0, in_flight: 2, paused: false, concurrency_limit: 4, elements: 0, elements_done: 0, elements_failed: 0, ended_unchanged: 0}

describe('RunView', () => {
  it('shows a row per route with its counters, open circuits and the last errors', () => {
    const model = new RunProgressModel('exec-1', 'docs-pipeline')
    model.apply({type: 'execution.started', execution_id: 'exec-1', routes: ['crawl', 'index']})
    model.apply({type: 'stats', execution_id: 'exec-1', routes: {crawl: counters, index: {...counters, received: 3, completed: 3, failed: 0, dead_lettered: 0, in_flight: 0}}})
    model.apply({type: 'circuit.opened', execution_id: 'exec-1', route_id: 'crawl', stage: 'web_scraper'})
    model.apply({
      type: 'message.failed', execution_id: 'exec-1', route_id: 'crawl', message_id: 'm', stage: 'web_scraper', attempt: 1, will_retry: true,
      error: {error_class: 'ExternalError', message: 'HTTP 503 from example.com', retryable: true},
    })
    const {lastFrame, unmount} = render(<RunView snapshot={() => model.snapshot()} />)
    const frame = lastFrame()!
    expect(frame).toContain('docs-pipeline')
    expect(frame).toMatch(/crawl\s+10\s+7\s+2\s+1\s+2/)
    expect(frame).toMatch(/index\s+3\s+3\s+0\s+0\s+0/)
    expect(frame).toContain('circuit crawl/web_scraper: open')
    expect(frame).toContain('crawl/web_scraper: HTTP 503 from example.com (will retry)')
    unmount()
  })

  it('freezes the clock and shows the note once the execution has ended', async () => {
    const model = new RunProgressModel('exec-2', 'p')
    model.apply({type: 'execution.completed', execution_id: 'exec-2', status: 'completed'})
    model.setNote('storing 12 lineage rows…')
    const first = model.snapshot().elapsedMs
    await new Promise((r) => setTimeout(r, 20))
    expect(model.snapshot().elapsedMs).toBe(first)
    const {lastFrame, unmount} = render(<RunView snapshot={() => model.snapshot()} />)
    expect(lastFrame()).toContain('completed')
    expect(lastFrame()).toContain('storing 12 lineage rows…')
    unmount()
  })

  it('says while running when the lineage store is behind, and what is left to store once drained', () => {
    expect(lineageNote(500, false)).toBeUndefined()
    expect(lineageNote(25_000, false)).toBe('lineage store behind: 25000 rows queued')
    expect(lineageNote(1_200, true)).toBe('storing 1200 lineage rows…')
    expect(lineageNote(0, true)).toBe('storing lineage…')
    const model = new RunProgressModel('exec-1', 'docs-pipeline')
    model.apply({type: 'stats', execution_id: 'exec-1', routes: {crawl: counters}})
    model.setNote(lineageNote(30_000, false))
    expect(formatProgressLine(model.snapshot())).toMatch(/ \(lineage store behind: 30000 rows queued\)$/)
  })

  it('counts a fan-out\'s elements while its parent is still in flight, in the live view and the progress line', async () => {
    const model = new RunProgressModel('exec-3', 'crawl-pipeline')
    const crawling = {...counters, received: 1, completed: 0, failed: 0, dead_lettered: 0, in_flight: 1, elements: 1000, elements_done: 0, elements_failed: 0}
    model.apply({type: 'stats', execution_id: 'exec-3', routes: {crawl: crawling}})
    await new Promise((r) => setTimeout(r, 20))
    model.apply({type: 'stats', execution_id: 'exec-3', routes: {crawl: {...crawling, elements_done: 348, elements_failed: 2}}})
    const snapshot = model.snapshot()
    expect(snapshot.routes[0]!.element_rate).toBeGreaterThan(0)
    expect(snapshot.routes[0]!.rate).toBe(0)
    expect(formatProgressLine(snapshot)).toMatch(/crawl 0\/1 in-flight 1 0\/s elements 348\/1000 failed 2 \d+\/s/)
    const {lastFrame, unmount} = render(<RunView snapshot={() => snapshot} />)
    expect(lastFrame()).toContain('ELEMENTS')
    expect(lastFrame()).toMatch(/crawl\s+1\s+0\s+0\s+0\s+1\s+0\s+348\/1000 failed 2/)
    unmount()
  })

  it('says how many of a re-run\'s elements were found unchanged and not sent on', () => {
    const model = new RunProgressModel('exec-4', 'crawl-pipeline')
    model.apply({type: 'stats', execution_id: 'exec-4', routes: {crawl: {...counters, received: 1, completed: 0, failed: 0, dead_lettered: 0, in_flight: 1, elements: 300, elements_done: 120, ended_unchanged: 118}}})
    expect(formatProgressLine(model.snapshot())).toMatch(/elements 120\/300 unchanged 118 /)
  })

  it('draws a change within a frame, not at the next tick of its clock, and coalesces a burst of events', async () => {
    const model = new RunProgressModel('exec-5', 'p')
    const subscribe = (onChange: () => void) => model.subscribe(onChange)
    const {lastFrame, frames, unmount} = render(<RunView snapshot={() => model.snapshot()} subscribe={subscribe} refreshMs={60_000} minFrameMs={100} />)
    await new Promise((r) => setTimeout(r, 20))
    model.apply({type: 'stats', execution_id: 'exec-5', routes: {work: {...counters, completed: 1}}})
    await new Promise((r) => setTimeout(r, 20))
    expect(lastFrame()).toMatch(/work\s+10\s+1\s/)
    const before = frames.length
    // 40 events, each in a task of its own, within ~150 ms: a few frames (one per 100 ms), not one per event.
    const started = performance.now()
    for (let i = 2; i <= 41; i++) {
      model.apply({type: 'stats', execution_id: 'exec-5', routes: {work: {...counters, completed: i}}})
      await new Promise((r) => setTimeout(r, 3))
    }
    const burstMs = performance.now() - started
    await new Promise((r) => setTimeout(r, 250))
    expect(lastFrame()).toMatch(/work\s+10\s+41\s/)
    // Other frames are the spinner's, showing the same values.
    const shown = new Set(frames.slice(before).map((f) => /work\s+10\s+(\d+)\s/.exec(f)?.[1]).filter((done) => done !== '1'))
    expect(shown.size).toBeLessThanOrEqual(Math.ceil(burstMs / 100) + 1)
    unmount()
  })

  it('shows the end state in the final frame drawn by rerender, however recent the last event', () => {
    const model = new RunProgressModel('exec-6', 'p')
    const snapshot = () => model.snapshot()
    const {lastFrame, rerender, unmount} = render(<RunView snapshot={snapshot} refreshMs={60_000} />)
    model.apply({type: 'stats', execution_id: 'exec-6', routes: {work: {...counters, completed: 42}}})
    model.apply({type: 'execution.completed', execution_id: 'exec-6', status: 'completed'})
    rerender(<RunView snapshot={snapshot} refreshMs={60_000} />)
    expect(lastFrame()).toContain('· completed ·')
    expect(lastFrame()).toMatch(/work\s+10\s+42\s/)
    unmount()
  })

  it('shows no element figures for a route that never fanned out', () => {
    const model = new RunProgressModel('exec-4', 'p')
    model.apply({type: 'stats', execution_id: 'exec-4', routes: {index: counters}})
    expect(formatProgressLine(model.snapshot())).not.toContain('elements')
    const {lastFrame, unmount} = render(<RunView snapshot={() => model.snapshot()} />)
    expect(lastFrame()).not.toContain('ELEMENTS')
    unmount()
  })
})
