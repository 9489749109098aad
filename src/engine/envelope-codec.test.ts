import {describe, expect, it} from 'vitest'

import {decodeEnvelope, newEnvelope} from './envelope-codec.js'

const good = () => newEnvelope({executionId: 'e', routeId: 'r', stage: null, parentId: null, correlationId: 'c', payload: {a: 1}, metadata: {}})

describe('decodeEnvelope', () => {
  it('round-trips an envelope built by newEnvelope', () => {
    const envelope = good()
    expect(decodeEnvelope(JSON.stringify(envelope))).toEqual(envelope)
    expect(envelope.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
  })

  it.each([
    ['not JSON', '{oops', /not JSON/],
    ['an array', '[]', /root/],
    ['a missing id', JSON.stringify({...good(), message_id: undefined}), /message_id/],
    ['a zero attempt', JSON.stringify({...good(), attempt: 0}), /attempt/],
    ['a string payload', JSON.stringify({...good(), payload: 'x'}), /payload/],
    ['an unknown field', JSON.stringify({...good(), extra: 1}), /unknown field extra/],
    ['a numeric parent', JSON.stringify({...good(), parent_id: 5}), /parent_id/],
  ])('rejects %s with ENVELOPE_INVALID', (_name, body, message) => {
    expect(() => decodeEnvelope(body)).toThrow(message)
    expect(() => decodeEnvelope(body)).toThrow(expect.objectContaining({code: 'ENVELOPE_INVALID'}))
  })
})
