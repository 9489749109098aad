import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import type {Context, MiddlewareHandler} from 'hono'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
}
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/
/** Files under assets/ carry a content hash in their names: a browser may keep them for a year. */
const HASHED_CACHE = 'public, max-age=31536000, immutable'
/** The page names the current hashed files: always revalidated. */
const PAGE_CACHE = 'no-cache'
/**
 * The page's own policy: scripts, styles and frames only from this origin (the HTML preview frames
 * an artefact, sandboxed), no plugins, not framed by other sites. The page's own inline scripts
 * (index.html starts the executions list request before the bundle loads) are allowed by their
 * sha256, so no other inline script runs.
 */
export function pageCsp(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
  return `default-src 'self'; script-src 'self'${hashes.map((h) => ` ${h}`).join('')}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'`
}

interface CachedFile {
  body: Uint8Array
  gzipped: Uint8Array | undefined
  type: string
  etag: string
}

export interface WebAssetsOptions {
  /** The built app (`dist/web`, from `npm run build`). */
  root: string
}

/**
 * Serves the browser app (server/web, built into dist/web) at `/`: files with their content type,
 * hashed assets cached for a year, the page revalidated, gzip when the client takes it, and every
 * other page path answered with index.html (the app routes with the history API). `/api/…`,
 * `/openapi.json` and `/docs` are never answered here, so an unknown API path stays a JSON 404.
 * Files are read on first request and kept (the hashed ones never change); nothing of the web
 * build tooling is loaded.
 */
export function webAssets(options: WebAssetsOptions): MiddlewareHandler {
  const root = path.resolve(options.root)
  const cache = new Map<string, Promise<CachedFile | undefined>>()

  const load = (relative: string, keep: boolean): Promise<CachedFile | undefined> => {
    const cached = cache.get(relative)
    if (cached) return cached
    const loading = readFile(path.join(root, relative)).then((body) => {
      const type = TYPES[path.extname(relative).toLowerCase()] ?? 'application/octet-stream'
      const gzipped = COMPRESSIBLE.test(type) && body.byteLength > 1024 ? gzipSync(body) : undefined
      return {body, gzipped, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`}
    }, () => undefined)
    // index.html is read again each time (a rebuild while the server runs names new assets).
    if (keep) {
      cache.set(relative, loading)
      void loading.then((file) => { if (!file) cache.delete(relative) })
    }
    return loading
  }

  const send = (c: Context, file: CachedFile, cacheControl: string, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = {
      'content-type': file.type, 'cache-control': cacheControl, etag: file.etag, 'x-content-type-options': 'nosniff', ...extra,
    }
    if (file.gzipped) headers.vary = 'Accept-Encoding'
    if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === file.etag)) return c.body(null, 304, headers)
    const gzip = file.gzipped !== undefined && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
    const body = gzip ? file.gzipped! : file.body
    headers['content-length'] = String(body.byteLength)
    if (gzip) headers['content-encoding'] = 'gzip'
    if (c.req.method === 'HEAD') return c.body(null, 200, headers)
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers)
  }

  return async (c, next) => {
    const method = c.req.method
    const urlPath = c.req.path
    if ((method !== 'GET' && method !== 'HEAD') || urlPath === '/api' || urlPath.startsWith('/api/') ||
      urlPath === '/openapi.json' || urlPath === '/docs') return next()
    let relative: string
    try {
      relative = decodeURIComponent(urlPath).replace(/^\/+/, '')
    } catch {
      return next()
    }
    const resolved = path.resolve(root, relative)
    if (relative !== '' && resolved.startsWith(root + path.sep) && !relative.split('/').includes('..') && relative !== 'index.html') {
      const file = await load(relative, true)
      if (file) return send(c, file, relative.startsWith('assets/') ? HASHED_CACHE : PAGE_CACHE)
    }
    // A missing file (a name with an extension, or under assets/) is a 404, not the page.
    if (relative.startsWith('assets/') || /\.[a-z0-9]+$/i.test(relative)) return next()
    const page = await load('index.html', false)
    if (!page) {
      return c.text('The web view is not built: run `npm run build` in the factflow checkout (it builds server/web into dist/web).', 404, {'cache-control': 'no-store'})
    }
    return send(c, page, PAGE_CACHE, {'content-security-policy': pageCsp(Buffer.from(page.body).toString('utf8'))})
  }
}
