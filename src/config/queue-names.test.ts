import {describe, expect, it} from 'vitest'

import {parseDestination} from './queue-names.js'

describe('parseDestination', () => {
  it('artemis takes /queue/<name> and /topic/<name> only', () => {
    expect(parseDestination('/queue/crawl.in', 'artemis')).toEqual({ok: true, kind: 'queue', key: '/queue/crawl.in'})
    expect(parseDestination('/topic/events', 'artemis')).toMatchObject({ok: true, kind: 'topic'})
    expect(parseDestination('crawl.in', 'artemis')).toMatchObject({ok: false, suggestion: expect.stringContaining('/queue/crawl.in')})
    expect(parseDestination('/queue/a b', 'artemis').ok).toBe(false)
    expect(parseDestination('persistent://public/default/x', 'artemis').ok).toBe(false)
  })

  it('rabbitmq takes plain names and maps /queue/x to x', () => {
    expect(parseDestination('crawl.in', 'rabbitmq')).toEqual({ok: true, kind: 'queue', key: 'crawl.in'})
    expect(parseDestination('/queue/crawl.in', 'rabbitmq')).toEqual({ok: true, kind: 'queue', key: 'crawl.in'})
    expect(parseDestination('/topic/events', 'rabbitmq')).toMatchObject({ok: true, kind: 'topic'})
    expect(parseDestination('amq.direct', 'rabbitmq').ok).toBe(false)
    expect(parseDestination('crawl in', 'rabbitmq').ok).toBe(false)
    expect(parseDestination('persistent://public/default/x', 'rabbitmq').ok).toBe(false)
  })

  it('pulsar takes full topic names and short names, and maps /queue/x to x', () => {
    expect(parseDestination('persistent://public/default/crawl', 'pulsar')).toMatchObject({ok: true, kind: 'queue'})
    expect(parseDestination('non-persistent://t/ns/crawl', 'pulsar').ok).toBe(true)
    expect(parseDestination('crawl-in', 'pulsar').ok).toBe(true)
    expect(parseDestination('/queue/crawl', 'pulsar')).toEqual({ok: true, kind: 'queue', key: 'crawl'})
    expect(parseDestination('/topic/events', 'pulsar')).toEqual({ok: true, kind: 'topic', key: '/topic/events'})
    expect(parseDestination('persistent://only-tenant/crawl', 'pulsar')).toMatchObject({ok: false, suggestion: expect.stringContaining('persistent://public/default/crawl')})
    expect(parseDestination('/queue/a b', 'pulsar').ok).toBe(false)
  })

  it('memory takes every supported form', () => {
    for (const name of ['/queue/a', '/topic/a', 'a.b', 'persistent://t/n/a']) expect(parseDestination(name, 'memory').ok).toBe(true)
    expect(parseDestination('/nope/a', 'memory').ok).toBe(false)
    expect(parseDestination('a b', 'memory').ok).toBe(false)
  })

  it('refuses names over 255 characters on every provider', () => {
    for (const provider of ['artemis', 'rabbitmq', 'pulsar', 'memory'] as const) {
      expect(parseDestination(`/queue/${'a'.repeat(300)}`, provider).ok).toBe(false)
    }
  })
})
