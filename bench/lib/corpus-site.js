// A realistic website on 127.0.0.1: Debian's HTML manuals (python3.11-doc, postgresql-doc-15)
// served as they are on disk, with generated sitemaps. Plain JavaScript so that both the vitest
// suites (TypeScript, through corpus-site.d.ts) and the benchmarks (plain node against dist/) load
// the very same code without a build step or a TypeScript loader.
import {createHash} from 'node:crypto'
import {access, readdir, readFile, stat} from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'

/** The manuals this machine kind has, by the name used in URLs (`/<name>/<path>`). */
export const MANUALS = {
  python: {dir: '/usr/share/doc/python3.11/html', package: 'python3.11-doc'},
  postgresql: {dir: '/usr/share/doc/postgresql-doc-15/html', package: 'postgresql-doc-15'},
}

// Generated lists of links (indexes, the search page, the table of contents): a crawl for RAG
// excludes them, and a 2.5 MB table of contents would dominate any sample of pages.
const INDEX_PAGE = /(^|\/)(genindex[^/]*|py-modindex|search|contents|bookindex)\.html$/

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.xml': 'application/xml',
}

/** Manuals among `names` whose folder is missing on this machine. */
export async function missingManuals(names = Object.keys(MANUALS)) {
  const missing = []
  for (const name of names) {
    const manual = MANUALS[name]
    if (manual === undefined) throw new Error(`unknown manual "${name}" (known: ${Object.keys(MANUALS).join(', ')})`)
    if (!await access(manual.dir).then(() => true, () => false)) missing.push(name)
  }
  return missing
}

/** Every HTML page of one manual, as paths relative to its folder, sorted. */
export async function listManualPages(name, options = {}) {
  const entries = await readdir(MANUALS[name].dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.html'))
    .map((entry) => path.relative(MANUALS[name].dir, path.join(entry.parentPath ?? entry.path, entry.name)).split(path.sep).join('/'))
    .filter((page) => !page.startsWith('_') && (options.includeIndexPages || !INDEX_PAGE.test(page)))
    .sort()
}

/**
 * The pages to serve: every page of `include` first (each `manual/path`; a missing one throws),
 * then the others in a fixed pseudo-random order (sha1 of the page id, so a sample spreads over
 * both manuals and all their sections, and is the same on every run), up to `limit`.
 */
export function selectPages(all, {limit, include = []} = {}) {
  const byId = new Map(all.map((page) => [page.id, page]))
  const chosen = []
  for (const id of new Set(include)) {
    const page = byId.get(id)
    if (page === undefined) throw new Error(`page ${id} is not in the corpus`)
    chosen.push(page)
  }
  const rank = (page) => createHash('sha1').update(page.id).digest('hex')
  const rest = all.filter((page) => !include.includes(page.id)).map((page) => ({page, key: rank(page)}))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (const {page} of rest) chosen.push(page)
  return limit === undefined ? chosen : chosen.slice(0, Math.max(limit, include.length))
}

const escapeXml = (text) => text.replace(/[<>&'"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;'}[c]))
const urlset = (urls) => `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
  urls.map((url) => `  <url><loc>${escapeXml(url)}</loc></url>`).join('\n')}\n</urlset>\n`
const sitemapIndex = (urls) => `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
  urls.map((url) => `  <sitemap><loc>${escapeXml(url)}</loc></sitemap>`).join('\n')}\n</sitemapindex>\n`

/**
 * The validators nginx gives a static file (`"<mtime hex>-<size hex>"`, the mtime as
 * Last-Modified), and whether a conditional GET's headers match them (RFC 9110 §13.2.2:
 * If-None-Match decides when present, else If-Modified-Since).
 */
function fileValidators(info) {
  return {etag: `"${Math.floor(info.mtimeMs / 1000).toString(16)}-${info.size.toString(16)}"`, lastModified: info.mtime.toUTCString()}
}
function notModified(headers, validators) {
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === validators.etag)
  const since = Date.parse(headers['if-modified-since'] ?? '')
  return Number.isFinite(since) && Date.parse(validators.lastModified) <= since
}

/**
 * Serves the manuals on 127.0.0.1 (random port): `/<manual>/<path>` is the file at `<path>` under
 * the manual's folder (any file, so stylesheets resolve too; `..` never leaves the folder),
 * `/sitemap.xml` lists the selected pages, `/sitemap_index.xml` points at one sitemap per manual
 * (`/sitemaps/<manual>.xml`), `/robots.txt` allows everything. Files carry an ETag and a
 * Last-Modified as nginx sends them, and a matching conditional GET is answered `304 Not Modified`
 * (`validators: false` sends neither and always answers in full). See `selectPages` for `limit` and
 * `include`. Rejects when a manual's folder is missing (check with `missingManuals` first).
 */
export async function startCorpusSite(options = {}) {
  const manuals = options.manuals ?? Object.keys(MANUALS)
  const missing = await missingManuals(manuals)
  if (missing.length > 0) {
    throw new Error(`missing manuals: ${missing.map((name) => `${MANUALS[name].dir} (apt-get install ${MANUALS[name].package})`).join(', ')}`)
  }
  const all = []
  for (const manual of manuals) {
    for (const page of await listManualPages(manual, options)) all.push({id: `${manual}/${page}`, manual, path: page})
  }
  const selected = selectPages(all, options)
  let origin = ''
  const validatorsOn = options.validators ?? true
  let requests = 0
  let bytes = 0
  let notModifiedCount = 0

  const server = http.createServer((req, res) => {
    requests++
    const send = (status, body, type, extra = {}) => {
      const buffer = typeof body === 'string' ? Buffer.from(body) : body
      bytes += buffer.length
      res.writeHead(status, {'content-type': type, 'content-length': buffer.length, ...extra})
      res.end(buffer)
    }
    const {pathname} = new URL(req.url ?? '/', 'http://localhost')
    if (pathname === '/robots.txt') return send(200, 'User-agent: *\nAllow: /\n', 'text/plain')
    if (pathname === '/sitemap.xml') return send(200, urlset(selected.map((page) => `${origin}/${page.id}`)), CONTENT_TYPES['.xml'])
    if (pathname === '/sitemap_index.xml') {
      return send(200, sitemapIndex(manuals.map((manual) => `${origin}/sitemaps/${manual}.xml`)), CONTENT_TYPES['.xml'])
    }
    const sitemap = /^\/sitemaps\/([a-z]+)\.xml$/.exec(pathname)
    if (sitemap && manuals.includes(sitemap[1])) {
      return send(200, urlset(selected.filter((page) => page.manual === sitemap[1]).map((page) => `${origin}/${page.id}`)), CONTENT_TYPES['.xml'])
    }
    const [, manual, rest] = /^\/([a-z]+)\/(.+)$/.exec(pathname) ?? []
    let relative
    try {
      relative = rest && path.posix.normalize(decodeURIComponent(rest))
    } catch {
      relative = undefined
    }
    if (!manuals.includes(manual) || !relative || relative.startsWith('..') || relative.includes('\0')) {
      return send(404, 'not found', 'text/plain')
    }
    const file = path.join(MANUALS[manual].dir, relative)
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream'
    if (!validatorsOn) {
      readFile(file).then((body) => send(200, body, type), () => send(404, 'not found', 'text/plain'))
      return
    }
    stat(file).then(async (info) => {
      const validators = fileValidators(info)
      const headers = {etag: validators.etag, 'last-modified': validators.lastModified}
      if (notModified(req.headers, validators)) {
        notModifiedCount++
        res.writeHead(304, headers)
        return void res.end()
      }
      send(200, await readFile(file), type, headers)
    }).catch(() => send(404, 'not found', 'text/plain'))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${server.address().port}`

  return {
    url: origin,
    sitemapUrl: `${origin}/sitemap.xml`,
    sitemapIndexUrl: `${origin}/sitemap_index.xml`,
    pages: selected.map((page) => ({...page, url: `${origin}/${page.id}`})),
    stats: () => ({requests, bytes, notModified: notModifiedCount}),
    close: () => new Promise((resolve, reject) => {
      server.closeAllConnections()
      server.close((error) => (error ? reject(error) : resolve()))
    }),
  }
}
