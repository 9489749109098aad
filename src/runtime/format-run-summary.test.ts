import {describe, expect, it} from 'vitest'

import {formatRunSummary} from './format-run-summary.js'
import type {RunSummary} from './run-pipeline.js'

function summary(failures: RunSummary['failures'], deadLettered = failures.length): RunSummary {
  return {
    execution_id: 'e1', pipeline: 'p', status: 'completed', duration_ms: 1500,
    routes: {embed: {received: deadLettered, completed: 0, failed: deadLettered, dead_lettered: deadLettered, unchanged: 0, embedded: 0, elements: 0, elements_done: 0, elements_failed: 0, ended_unchanged: 0}},
    messages: {total: deadLettered, completed: 0, failed: deadLettered, dead_lettered: deadLettered},
    failures, storage: {uri: 'file:///tmp/s', prefix: 'executions/e1/'},
    database: {location: './output/db', lineage_rows: 0, lineage_dropped: 0},
  }
}

const down = {route: 'embed', stage: 'embedding_generator', attempts: 1, error: 'database down', code: 'DATABASE_UNAVAILABLE'}

describe('formatRunSummary', () => {
  it('says how many items a route found unchanged and did not send on', () => {
    const base = summary([])
    const text = formatRunSummary({...base, routes: {crawl: {...base.routes.embed!, received: 1, completed: 1, unchanged: 1, ended_unchanged: 300}, embed: base.routes.embed!}})
    expect(text).toContain('  crawl: 300 found unchanged and finished by an earlier run, not sent on')
    expect(formatRunSummary(base)).not.toContain('not sent on')
  })

  it('prints identical failures once with their count, and counts the dead letters beyond the list', () => {
    const text = formatRunSummary(summary(Array.from({length: 50}, () => down), 120))
    const failureLines = text.split('\n').filter((line) => line.includes('✗'))
    expect(failureLines).toEqual(['  ✗ 50 × embed/embedding_generator after 1 attempt: [DATABASE_UNAVAILABLE] database down'])
    expect(text).toContain('  … and 70 more dead-lettered messages')
  })

  it('keeps different failures apart, in the order they came, ten at most', () => {
    const failures = Array.from({length: 12}, (_, i) => ({route: 'r', stage: 's', attempts: 3, error: `boom ${i}`}))
    const text = formatRunSummary(summary(failures))
    const failureLines = text.split('\n').filter((line) => line.includes('✗'))
    expect(failureLines).toHaveLength(10)
    expect(failureLines[0]).toBe('  ✗ r/s after 3 attempts: boom 0')
    expect(text).toContain('  … and 2 more dead-lettered messages')
  })
})
