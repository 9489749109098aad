import {describe, expect, it} from 'vitest'

import {UserInputError} from '../errors/index.js'
import {artefactKey, StorageKeyError, validateKey, validatePrefix} from './keys.js'

describe('validateKey', () => {
  it.each([
    'a', 'executions/e/r/s/m.html', 'a b/ü.txt', 'dot.in/name.txt', '.hidden/x', 'x'.repeat(1024),
  ])('accepts %s', (key) => {
    expect(validateKey(key)).toBe(key)
  })

  it.each([
    ['', 'empty'], ['../x', '".."'], ['a/../../b', '".."'], ['/abs', 'starts with "/"'], ['a\\b', 'backslash'],
    ['a\u0000b', 'NUL'], ['a//b', 'empty segment'], ['a/', 'empty segment'], ['./a', '"."'],
    ['x'.repeat(1025), '1024 bytes'], ['é'.repeat(513), '1024 bytes'], ['a.meta.json', 'sidecar'],
    ['.factflow-staging/x', 'reserved'],
  ])('rejects %j because of its %s', (key, reason) => {
    let caught: unknown
    try {
      validateKey(key)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(StorageKeyError)
    expect(caught).toBeInstanceOf(UserInputError)
    expect(caught).toMatchObject({code: 'STORAGE_INVALID_KEY', retryable: false, hint: expect.stringContaining('executions/')})
    expect((caught as Error).message).toContain(reason)
  })
})

describe('validatePrefix', () => {
  it('accepts the empty prefix, partial segments and a trailing slash', () => {
    for (const prefix of ['', 'a', 'a/', 'executions/e1/', 'executions/e']) expect(validatePrefix(prefix)).toBe(prefix)
  })

  it('rejects prefixes that could leave the root', () => {
    for (const prefix of ['../', '/a', 'a/../', 'a\\', 'a//']) expect(() => validatePrefix(prefix)).toThrow(StorageKeyError)
  })
})

describe('artefactKey', () => {
  const parts = {executionId: 'exec-1', routeId: 'crawl', stage: 'fetch', messageId: 'msg-1'}

  it('builds executions/<execution_id>/<route_id>/<stage>/<message_id>.<ext>', () => {
    expect(artefactKey({...parts, extension: 'html'})).toBe('executions/exec-1/crawl/fetch/msg-1.html')
  })

  it('accepts the extension with its leading dot and leaves it off when empty or absent', () => {
    expect(artefactKey({...parts, extension: '.md'})).toBe('executions/exec-1/crawl/fetch/msg-1.md')
    expect(artefactKey({...parts, extension: ''})).toBe('executions/exec-1/crawl/fetch/msg-1')
    expect(artefactKey(parts)).toBe('executions/exec-1/crawl/fetch/msg-1')
  })

  it.each([
    [{routeId: 'a/b'}], [{stage: '..'}], [{messageId: ''}], [{executionId: 'x\\y'}], [{extension: 'a/b'}],
  ])('rejects parts that would change the key layout (%j)', (override) => {
    expect(() => artefactKey({...parts, ...override})).toThrow(StorageKeyError)
  })
})
