import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {brotliCompressSync, deflateRawSync, deflateSync, gzipSync} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {RUN_NETWORK_POLICY} from '../../network/address-policy.js'
import {createGuardedDispatcher} from '../../network/guarded-dispatcher.js'
import {fetchOnce, type FetchOnceOptions} from './http-fetch.js'

const PAGE = Buffer.from(`<html><body>${'<p>A paragraph of the page.</p>'.repeat(200)}</body></html>`)

/** What each path answers: status, headers and body bytes. */
const routes: Record<string, () => {status?: number; headers?: Record<string, string | string[]>; body?: Buffer}> = {
  '/plain': () => ({headers: {'content-type': 'text/html'}, body: PAGE}),
  '/gzip': () => ({headers: {'content-encoding': 'gzip'}, body: gzipSync(PAGE)}),
  '/deflate': () => ({headers: {'content-encoding': 'deflate'}, body: deflateSync(PAGE)}),
  '/deflate-raw': () => ({headers: {'content-encoding': 'deflate'}, body: deflateRawSync(PAGE)}),
  '/br': () => ({headers: {'content-encoding': 'br'}, body: brotliCompressSync(PAGE)}),
  // Applied gzip first, then br: decoded br first.
  '/chained': () => ({headers: {'content-encoding': 'gzip, br'}, body: brotliCompressSync(gzipSync(PAGE))}),
  '/unknown-coding': () => ({headers: {'content-encoding': 'x-made-up'}, body: Buffer.from('kept as sent')}),
  '/broken-gzip': () => ({headers: {'content-encoding': 'gzip'}, body: Buffer.from('not gzip at all')}),
  '/six-codings': () => ({headers: {'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip'}, body: Buffer.from('never decoded')}),
  // 1 KiB on the wire, 4 MiB decoded.
  '/bomb': () => ({headers: {'content-encoding': 'gzip'}, body: gzipSync(Buffer.alloc(4 << 20))}),
  '/not-modified': () => ({status: 304, headers: {'content-encoding': 'gzip', etag: '"v1"'}}),
  '/redirect': () => ({status: 301, headers: {location: '/plain'}}),
  '/cookies': () => ({headers: {'set-cookie': ['a=1', 'b=2'], 'x-twice': ['one', 'two']}, body: Buffer.from('ok')}),
  '/slow': () => ({status: -1}),
}

let server: http.Server
let origin = ''
const received: http.IncomingHttpHeaders[] = []
const dispatcher = createGuardedDispatcher(RUN_NETWORK_POLICY)

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(req.headers)
    const answer = routes[req.url ?? '']?.() ?? {status: 404}
    if (answer.status === -1) return // never answers: the timeout's case
    res.writeHead(answer.status ?? 200, {...answer.headers, ...(answer.body ? {'content-length': answer.body.length} : {})})
    res.end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await dispatcher.close()
})

const get = (path: string, options: Partial<FetchOnceOptions> = {}) =>
  fetchOnce(`${origin}${path}`, {dispatcher, headers: {'user-agent': 'factflow-test'}, timeoutMs: 5000, maxBytes: 1 << 20, ...options})

describe('fetchOnce', () => {
  it('sends Accept and Accept-Encoding unless the caller set them, and the caller\'s headers as given', async () => {
    received.length = 0
    await get('/plain')
    await get('/plain', {headers: {'user-agent': 'factflow-test', Accept: 'text/html', 'accept-encoding': 'identity'}})
    expect(received[0]).toMatchObject({'user-agent': 'factflow-test', accept: '*/*', 'accept-encoding': 'gzip, deflate, br'})
    expect(received[1]).toMatchObject({accept: 'text/html', 'accept-encoding': 'identity'})
  })

  it.each(['/gzip', '/deflate', '/deflate-raw', '/br', '/chained'])('decodes the body of %s as Content-Encoding says', async (path) => {
    const response = await get(path)
    expect(response.status).toBe(200)
    expect(response.body.equals(PAGE)).toBe(true)
  })

  it('keeps a body with an unknown coding as sent, and fails retryably on one that does not decode', async () => {
    expect((await get('/unknown-coding')).body.toString()).toBe('kept as sent')
    await expect(get('/broken-gzip')).rejects.toMatchObject({code: 'HTTP_UNREACHABLE', retryable: true, message: expect.stringContaining('does not decode as its Content-Encoding says')})
    // More than five codings is refused as fetch refused it (a decompression-bomb guard).
    await expect(get('/six-codings')).rejects.toMatchObject({code: 'HTTP_UNREACHABLE', message: expect.stringContaining('content-encodings')})
    expect((await get('/plain')).body.equals(PAGE)).toBe(true)
  })

  it('stops a compressed body at max_bytes of decoded bytes: terminal, or truncated when asked', async () => {
    await expect(get('/bomb', {maxBytes: 100_000})).rejects.toMatchObject({code: 'PAGE_TOO_LARGE', retryable: false})
    const truncated = await get('/bomb', {maxBytes: 100_000, overflow: 'truncate'})
    expect(truncated.body.length).toBe(100_000)
  })

  it('refuses a plain body whose Content-Length is over max_bytes before reading it', async () => {
    await expect(get('/plain', {maxBytes: 100})).rejects.toMatchObject({code: 'PAGE_TOO_LARGE', message: expect.stringContaining('Content-Length says')})
    expect((await get('/plain', {maxBytes: 100, overflow: 'truncate'})).body.length).toBe(100)
  })

  it('answers a 304 with an empty body whatever its Content-Encoding, and a redirect as is', async () => {
    const notModified = await get('/not-modified')
    expect(notModified.status).toBe(304)
    expect(notModified.body.length).toBe(0)
    expect(notModified.headers.get('etag')).toBe('"v1"')
    const redirect = await get('/redirect')
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/plain')
  })

  it('gives repeated headers as fetch did: cookies one by one, others joined', async () => {
    const response = await get('/cookies')
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(response.headers.get('x-twice')).toBe('one, two')
  })

  it('times out retryably, aborts with an AbortError, and refuses a URL with credentials', async () => {
    await expect(get('/slow', {timeoutMs: 200})).rejects.toMatchObject({code: 'HTTP_TIMEOUT', retryable: true})
    const controller = new AbortController()
    const pending = get('/slow', {signal: controller.signal})
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({name: 'AbortError'})
    received.length = 0
    await expect(fetchOnce(origin.replace('//', '//user:secret@') + '/plain', {dispatcher, headers: {}, timeoutMs: 5000, maxBytes: 1 << 20}))
      .rejects.toMatchObject({code: 'HTTP_UNREACHABLE'})
    expect(received).toHaveLength(0)
  })

  it('fails retryably when nothing listens', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    await expect(fetchOnce(`http://127.0.0.1:${port}/`, {dispatcher, headers: {}, timeoutMs: 5000, maxBytes: 1000}))
      .rejects.toMatchObject({code: 'HTTP_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED')})
  })
})
