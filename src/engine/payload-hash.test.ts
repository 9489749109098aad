import {describe, expect, it} from 'vitest'

import {decodeEnvelope, newEnvelope} from './envelope-codec.js'
import {payloadHash, payloadHashFromBody} from './payload-hash.js'

const envelope = (payload: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
  newEnvelope({executionId: 'e', routeId: 'r', stage: 's', parentId: null, correlationId: 'c', payload, metadata})

describe('payloadHash', () => {
  it('is the payload content_hash when it has one', () => {
    expect(payloadHash({content_hash: 'sha256:abc', text: 'x'})).toBe('sha256:abc')
  })

  it('is an xxh64 of the payload JSON otherwise, equal for equal payloads and different for others', () => {
    const hash = payloadHash({text: 'hello', n: 1})
    expect(hash).toMatch(/^xxh64:[0-9a-f]{16}$/)
    expect(payloadHash({text: 'hello', n: 1})).toBe(hash)
    expect(payloadHash({text: 'hello', n: 2})).not.toBe(hash)
  })
})

describe('payloadHashFromBody', () => {
  it.each([
    ['a plain payload', {text: 'x'.repeat(1000), n: 5}, {}],
    ['a payload with a nested "payload" key', {payload: {a: 1}, b: ',"payload":{}'}, {}],
    ['metadata', {text: 'ü 🎉 "quoted"'}, {source_url: 'https://x.test/a', payload: 1}],
    ['an empty payload', {}, {tags: ['a']}],
  ])('gives the hash of the re-serialised payload for %s', (_name, payload, metadata) => {
    const body = JSON.stringify(envelope(payload, metadata))
    expect(String(payloadHashFromBody(body, decodeEnvelope(body)))).toBe(payloadHash(payload))
  })

  it('falls back to serialising the payload for a body laid out another way', () => {
    const payload = {text: 'x', n: 1}
    const original = envelope(payload, {k: 'v'})
    const bodies = [
      JSON.stringify(original, null, 2),
      // metadata before payload, and payload first
      JSON.stringify({...Object.fromEntries(Object.entries(original).filter(([key]) => key !== 'payload')), payload}),
      JSON.stringify(Object.fromEntries([['payload', payload], ...Object.entries(original).filter(([key]) => key !== 'payload')])),
    ]
    for (const body of bodies) expect(String(payloadHashFromBody(body, decodeEnvelope(body)))).toBe(payloadHash(decodeEnvelope(body).payload))
  })
})

describe('payloadHashFromBody on a compact body from another producer', () => {
  it('hashes the payload JSON as it was sent', () => {
    const body = JSON.stringify(envelope({n: 1, text: 'x'})).replace('"n":1', '"n":1.0')
    expect(String(payloadHashFromBody(body, decodeEnvelope(body)))).toBe(payloadHash({}, '{"n":1.0,"text":"x"}'))
  })
})
