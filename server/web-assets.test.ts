import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {Hono} from 'hono'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {webAssets} from './web-assets.js'

let base: string
let root: string
let app: Hono
const script = `console.log(${JSON.stringify('x'.repeat(4000))})`

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'factflow-web-'))
  root = path.join(base, 'web')
  await mkdir(path.join(root, 'assets'), {recursive: true})
  await writeFile(path.join(root, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>')
  await writeFile(path.join(root, 'assets', 'index-abc123.js'), script)
  await writeFile(path.join(root, 'assets', 'index-abc123.css'), 'body{}')
  await writeFile(path.join(base, 'secret.txt'), 'outside')
  // As in createApp: the API first, then the web view, then the JSON 404.
  app = new Hono()
  app.get('/api/v1/system/health', (c) => c.json({status: 'healthy'}))
  app.get('/openapi.json', (c) => c.json({openapi: '3.1.0'}))
  app.use('*', webAssets({root}))
  app.notFound((c) => c.json({error_code: 'NOT_FOUND'}, 404))
})
afterAll(async () => { await rm(base, {recursive: true, force: true}) })

describe('serving the web view', () => {
  it('answers / with the page, revalidated every time, with its security policy', async () => {
    const response = await app.request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await response.text()).toContain('/assets/index-abc123.js')
  })

  it('serves hashed assets with their type, a year of caching, gzip and ETag revalidation', async () => {
    const response = await app.request('/assets/index-abc123.js', {headers: {'accept-encoding': 'gzip, br'}})
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(response.headers.get('content-encoding')).toBe('gzip')
    expect(gunzipSync(Buffer.from(await response.arrayBuffer())).toString()).toBe(script)
    const plain = await app.request('/assets/index-abc123.js')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(script)
    const again = await app.request('/assets/index-abc123.js', {headers: {'if-none-match': plain.headers.get('etag')!}})
    expect(again.status).toBe(304)
    expect((await app.request('/assets/index-abc123.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('answers every page path with the page (the app routes with the history API)', async () => {
    for (const page of ['/executions/01a2/lineage', '/configs/new', '/storage?prefix=executions/']) {
      const response = await app.request(page)
      expect(response.status, page).toBe(200)
      expect(response.headers.get('content-type')).toContain('text/html')
    }
  })

  it('leaves /api paths, /openapi.json and missing files to the API: a JSON 404, never the page', async () => {
    for (const missing of ['/api/v1/nope', '/api/v1/executions/x/nothing', '/api/other', '/assets/gone-123.js', '/favicon.ico']) {
      const response = await app.request(missing)
      expect(response.status, missing).toBe(404)
      expect(response.headers.get('content-type'), missing).toContain('application/json')
    }
    expect(await (await app.request('/openapi.json')).json()).toEqual({openapi: '3.1.0'})
    expect((await app.request('/api/v1/system/health')).status).toBe(200)
    expect((await app.request('/api/v1/system/health', {method: 'POST'})).status).toBe(404)
  })

  it('never reads outside its folder', async () => {
    for (const attempt of ['/../secret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e/secret.txt']) {
      const response = await app.request(attempt)
      expect(await response.text(), attempt).not.toContain('outside')
    }
  })

  it('says how to build the page when dist/web is missing', async () => {
    const bare = new Hono()
    bare.use('*', webAssets({root: path.join(root, 'nothing-here')}))
    const response = await bare.request('/')
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('npm run build')
  })
})
