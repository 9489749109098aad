import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {Hono} from 'hono'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {pageCsp, webAssets} from '../../server/web-assets.js'

const INLINE = 'window.started = fetch("/api/v1/executions?limit=50")'
const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

describe('the web view page\'s content security policy', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'factflow-web-assets-'))
    await mkdir(path.join(root, 'assets'))
    await writeFile(path.join(root, 'index.html'), `<!doctype html><script type="module" src="/assets/app.js"></script><div id="root"></div><script>${INLINE}</script>`)
  })
  afterAll(async () => { await rm(root, {recursive: true, force: true}) })

  it('allows the page\'s own inline scripts by hash and no other', () => {
    const policy = pageCsp(`<script>${INLINE}</script><script src="/x.js"></script>`)
    expect(policy).toContain(`script-src 'self' ${sha(INLINE)};`)
    expect(policy).not.toContain('unsafe-inline\'; img')
    expect(pageCsp('<p>no scripts</p>')).toContain("script-src 'self';")
  })

  it('is sent with the page, naming the inline script of the index.html on disk', async () => {
    const app = new Hono().use(webAssets({root}))
    const response = await app.request('/executions/x')
    expect(response.status).toBe(200)
    const policy = response.headers.get('content-security-policy')!
    expect(policy).toContain(sha(INLINE))
    expect(policy).toContain("default-src 'self'")
  })
})
