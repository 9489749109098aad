// The pages the LlamaIndex.TS peer crawls, served the way its run.sh serves them, so factflow and
// the peer are measured over the same site: the first N `.html` files (in name order) of Debian's
// PostgreSQL 15 manual folder, listed in `/sitemap.xml`, each at `/<file name>`, with the headers
// of Python's `http.server` (which run.sh uses): `text/html`, `Last-Modified` from the file (and
// `304` for a matching `If-Modified-Since`), one request per connection (HTTP/1.0), 404 for
// anything else (robots.txt included).
//
// Past the manual's ~1,170 pages (`pages` above that), the pages are served again as copies under
// `/c<k>/<file name>` (copy-major order: every page of copy 1, then copy 2, …), each with a small
// marker sentence in its first paragraph so that no two copies share a content hash.
import {readdir, readFile, stat} from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'

import {MANUALS} from './corpus-site.js'

/** The manual's HTML files in the peer's order (run.sh: Python's `sorted(os.listdir(d))`). */
export async function peerPageNames(dir = MANUALS.postgresql.dir) {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.html'))
  // Code-point order, as Python sorts strings (the names are ASCII, so UTF-16 order is the same).
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

const marker = (copy) => `[Copy ${copy} of this page, served for the 10,000-page benchmark.] `

/** `html` with the copy's marker sentence at the start of its first paragraph (or of its body). */
export function markCopy(html, copy) {
  const paragraph = html.indexOf('<p>')
  if (paragraph >= 0) return `${html.slice(0, paragraph + 3)}${marker(copy)}${html.slice(paragraph + 3)}`
  const body = /<body[^>]*>/i.exec(html)
  const at = body ? body.index + body[0].length : 0
  return `${html.slice(0, at)}<p>${marker(copy)}</p>${html.slice(at)}`
}

/**
 * Starts the site on 127.0.0.1 (a free port). `pages` pages in all: the manual's first `pages`
 * files, or every file and then copies of them (see the file comment). Resolves to
 * `{url, sitemapUrl, pages: [{url, file, copy}], bytes, stats(), close()}`; `bytes` is the sum of the
 * served pages' sizes (the peer reports the same sum as `bytes_fetched`), and `stats()` counts
 * requests and the distinct page paths answered with 200.
 */
export async function startManualSite({pages: count, dir = MANUALS.postgresql.dir}) {
  const names = await peerPageNames(dir)
  if (names.length === 0) throw new Error(`no HTML pages in ${dir} (apt-get install ${MANUALS.postgresql.package})`)
  const pages = []
  for (let i = 0; i < count; i++) {
    const copy = Math.floor(i / names.length)
    const file = names[i % names.length]
    pages.push({file, copy, path: copy === 0 ? `/${file}` : `/c${copy}/${file}`})
  }
  const byPath = new Map(pages.map((page) => [page.path, page]))
  // Copies are marked on every request rather than kept: 10,000 pages would hold ~150 MB here.
  const body = async (page) => {
    const raw = await readFile(path.join(dir, page.file))
    return page.copy === 0 ? raw : Buffer.from(markCopy(raw.toString('utf8'), page.copy))
  }
  const modified = new Map()
  for (const name of names.slice(0, Math.min(count, names.length))) {
    // HTTP dates have whole seconds; Python's server compares at that precision too.
    modified.set(name, Math.floor((await stat(path.join(dir, name))).mtimeMs / 1000) * 1000)
  }
  let bytes = 0
  for (const page of pages) bytes += page.copy === 0 ? (await stat(path.join(dir, page.file))).size : (await body(page)).length

  let origin = ''
  let requests = 0
  const answered = new Set()
  const sitemap = () => `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
    pages.map((page) => `  <url><loc>${origin}${page.path}</loc></url>\n`).join('')}</urlset>\n`

  const server = http.createServer((req, res) => {
    requests++
    const send = (status, headers, payload) => {
      res.writeHead(status, {connection: 'close', ...headers, ...(payload ? {'content-length': payload.length} : {})})
      res.end(payload)
    }
    const {pathname} = new URL(req.url ?? '/', 'http://localhost')
    if (pathname === '/sitemap.xml') return send(200, {'content-type': 'application/xml'}, Buffer.from(sitemap()))
    const page = byPath.get(pathname)
    if (page === undefined) return send(404, {'content-type': 'text/html'}, Buffer.from('<h1>404 Not Found</h1>'))
    const mtime = modified.get(page.file)
    const since = Date.parse(req.headers['if-modified-since'] ?? '')
    if (!Number.isNaN(since) && since >= mtime) return send(304, {'last-modified': new Date(mtime).toUTCString()})
    body(page).then((payload) => {
      answered.add(pathname)
      send(200, {'content-type': 'text/html', 'last-modified': new Date(mtime).toUTCString()}, payload)
    }, (error) => send(500, {'content-type': 'text/plain'}, Buffer.from(String(error))))
  })
  // The peer's server (ThreadingHTTPServer) closes every connection after its response; so does this.
  server.keepAliveTimeout = 0
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${server.address().port}`
  for (const page of pages) page.url = `${origin}${page.path}`

  return {
    url: origin,
    sitemapUrl: `${origin}/sitemap.xml`,
    pages,
    bytes,
    stats: () => ({requests, pagesAnswered: answered.size}),
    resetStats: () => {
      requests = 0
      answered.clear()
    },
    close: () => new Promise((resolve, reject) => {
      server.closeAllConnections()
      server.close((error) => (error ? reject(error) : resolve()))
    }),
  }
}
