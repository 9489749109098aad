import {createHash} from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {gzipSync} from 'node:zlib'

/**
 * A small website on 127.0.0.1 (random port) for the web adapters' tests (no internet here). It
 * counts and timestamps every request by path (with query string) so tests can assert on what
 * was fetched and when.
 *
 * Pages: `/` (links to /a, /b, /private/secret), `/a`, `/b`, `/c`, `/docs/1..3`, `/private/secret`,
 * `/js` (content written by a script), `/big` (~200 KiB of HTML), `/file.pdf`, `/echo` (the request
 * headers as JSON), `/text.txt`.
 * Sitemaps: `/sitemap_index.xml` → `/sitemap-pages.xml` + `/sitemap-more.xml.gz` (gzip file);
 * `/sitemap-loop.xml` (an index listing itself and `/sitemap_index.xml`); `/sitemap-deep-N.xml`
 * (an index chain N deep ending at `/sitemap-pages.xml`); `/sitemap-broken.xml` (malformed);
 * `/sitemap.txt`; `/sitemap-encoded.xml` (gzip content-encoding); `/sitemap-with-missing.xml` (an
 * index listing a 404); `/sitemap-flaky.xml` (503 once per `?key=`).
 * Robots: `/robots.txt` disallows `/private/` for everyone (or the `robots` option's text and
 * `robotsStatus`).
 * Redirects: `/redirect/301` → 301 → `/redirect/302` → 302 → `/a`; `/redirect/loop-a` ⇄
 * `/redirect/loop-b`; `/redirect/chain/N` (N hops, then `/a`); `/redirect/to-private` → `/private/secret`.
 * Failures: `/slow?ms=N` (answers after N ms, default 5000), `/limited?key=K&retry=S` (429 with
 * `Retry-After: S` the first time per key, then 200), `/limited-date?key=K` (the same with an HTTP
 * date 2 s ahead), `/unavailable` (503), `/error` (500), `/forbidden` (403), `/huge` (4 MiB streamed
 * without Content-Length), `/huge-declared` (4 MiB with Content-Length), anything else 404.
 * Charsets: `/latin1-header`, `/latin1-meta`, `/cp1252-header`, `/cp1252-meta`, `/sjis-header`,
 * `/utf8-bom` (see `CHARSET_TEXT` for what each must decode to).
 * Validators, as a real web server: every 200 carries an `ETag` (a hash of the body) and a
 * `Last-Modified` (2026-01-01, a minute later for each `setPage`), and a conditional GET that
 * matches them (`If-None-Match`, else `If-Modified-Since`) gets `304 Not Modified` with no body;
 * `validators: 'none'` (or `'etag'`, `'last-modified'`) sends fewer and answers only those.
 */
export interface TestSite {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Requests received for `path` (path and query string, e.g. `/limited?key=a`). */
  requests(path: string): number
  /** `Date.now()` at the arrival of each request for `path`. */
  requestTimes(path: string): number[]
  /** Headers of the last request for `path`. */
  lastHeaders(path: string): http.IncomingHttpHeaders | undefined
  /** Requests whose response was cut because the client went away before the end. */
  abortedResponses(path: string): number
  /** Requests for `path` answered `304 Not Modified`. */
  notModified(path: string): number
  /** Serves `html` at `path` from now on (a changed page: new ETag and Last-Modified). */
  setPage(path: string, html: string): void
  close(): Promise<void>
}

export interface TestSiteOptions {
  /** robots.txt body (default: disallow /private/ for every agent); `null` answers 404. */
  robots?: string | null
  /** Status of robots.txt (default 200; e.g. 500 for a site whose robots.txt fails). */
  robotsStatus?: number
  /** Which validators pages carry and conditional requests are answered by (default `both`). */
  validators?: 'both' | 'etag' | 'last-modified' | 'none'
}

/** What each charset page must decode to. */
export const CHARSET_TEXT = {
  latin1: 'Café Müller, naïve façade ±½',
  cp1252: '€ “quotes” — Œuvre',
  sjis: '日本語のページ',
} as const

const HUGE_BYTES = 4 * 1024 * 1024

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, site: SiteState) => void | Promise<void>

interface SiteState {
  origin: string
  limitedKeys: Set<string>
  options: TestSiteOptions
}

const html = (title: string, body: string, head = '') =>
  `<!doctype html><html><head>${head}<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`

const FIRST_MODIFIED = Date.UTC(2026, 0, 1)

/** Per-response facts the handlers do not pass around: the site's validator settings, the page's revision. */
interface ResponseFacts {
  validators: NonNullable<TestSiteOptions['validators']>
  /** 0 for the built-in pages, N after the Nth `setPage`. */
  revision: number
  notModified(): void
}
const FACTS = new WeakMap<http.ServerResponse, ResponseFacts>()

function sendHtml(res: http.ServerResponse, body: string | Buffer, contentType = 'text/html; charset=utf-8', status = 200): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const facts = FACTS.get(res)
  const validators = facts?.validators ?? 'both'
  const headers: http.OutgoingHttpHeaders = {'content-type': contentType, 'content-length': bytes.length}
  const etag = `"${createHash('sha1').update(bytes).digest('hex').slice(0, 16)}"`
  const lastModified = new Date(FIRST_MODIFIED + (facts?.revision ?? 0) * 60_000).toUTCString()
  if (validators === 'both' || validators === 'etag') headers.etag = etag
  if (validators === 'both' || validators === 'last-modified') headers['last-modified'] = lastModified
  if (status === 200 && notModified(res.req.headers, headers)) {
    facts?.notModified()
    res.writeHead(304, {...(headers.etag ? {etag: headers.etag} : {}), ...(headers['last-modified'] ? {'last-modified': headers['last-modified']} : {})})
    res.end()
    return
  }
  res.writeHead(status, headers)
  res.end(bytes)
}

/** RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison), else If-Modified-Since. */
function notModified(request: http.IncomingHttpHeaders, response: http.OutgoingHttpHeaders): boolean {
  const ifNoneMatch = request['if-none-match']
  if (ifNoneMatch !== undefined) {
    if (typeof response.etag !== 'string') return false
    const weak = (tag: string) => tag.trim().replace(/^W\//, '')
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || weak(tag) === weak(response.etag as string))
  }
  const since = request['if-modified-since']
  const modified = response['last-modified']
  if (since === undefined || typeof modified !== 'string') return false
  const sinceMs = Date.parse(since)
  return Number.isFinite(sinceMs) && Date.parse(modified) <= sinceMs
}

const urlset = (locs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
    locs.map((loc) => `  <url><loc>${loc}</loc><lastmod>2026-01-01</lastmod></url>`).join('\n')}\n</urlset>\n`
const sitemapIndex = (locs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
    locs.map((loc) => `  <sitemap><loc>${loc}</loc></sitemap>`).join('\n')}\n</sitemapindex>\n`

function sendXml(res: http.ServerResponse, xml: string): void {
  sendHtml(res, xml, 'application/xml')
}

/** windows-1252 bytes of `text` (Latin-1 plus the 0x80–0x9F punctuation it adds). */
function encodeCp1252(text: string): Buffer {
  const extra: Record<string, number> = {'€': 0x80, '“': 0x93, '”': 0x94, '—': 0x97, '–': 0x96, 'Œ': 0x8c}
  return Buffer.from([...text].map((char) => extra[char] ?? char.charCodeAt(0)))
}

/** Shift_JIS bytes of CHARSET_TEXT.sjis (Node cannot encode Shift_JIS; these are the code points' bytes). */
const SJIS_BYTES = Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x82, 0xcc, 0x83, 0x79, 0x81, 0x5b, 0x83, 0x57])

const ROUTES: Record<string, Handler> = {
  '/': (_req, res) => sendHtml(res, html('Home', '<a href="/a">A</a> <a href="/b">B</a> <a href="/private/secret">Secret</a>')),
  '/a': (_req, res) => sendHtml(res, html('Page A', '<p>Alpha</p><a href="/b">B</a> <a href="/c">C</a>')),
  '/b': (_req, res) => sendHtml(res, html('Page B', '<p>Beta</p><a href="/a">A</a> <a href="https://elsewhere.invalid/x">Out</a>')),
  '/c': (_req, res) => sendHtml(res, html('Page C', '<p>Gamma</p>')),
  '/docs/1': (_req, res) => sendHtml(res, html('Doc 1', '<p>one</p>')),
  '/docs/2': (_req, res) => sendHtml(res, html('Doc 2', '<p>two</p>')),
  '/docs/3': (_req, res) => sendHtml(res, html('Doc 3', '<p>three</p>')),
  '/private/secret': (_req, res) => sendHtml(res, html('Secret', '<p>hidden</p>')),
  '/js': (_req, res) => sendHtml(res, html('Script page', '<div id="app">loading</div><script>setTimeout(() => {'
    + 'document.getElementById("app").innerHTML = \'<p id="ready">Rendered by script</p><a href="/a">A</a>\'}, 50)</script>')),
  '/big': (_req, res) => sendHtml(res, html('Big page', `<p>${'Lorem ipsum dolor sit amet. '.repeat(7500)}</p>`)),
  '/file.pdf': (_req, res) => sendHtml(res, Buffer.from('%PDF-1.4\n%\xff\xfe\n', 'latin1'), 'application/pdf'),
  '/text.txt': (_req, res) => sendHtml(res, 'plain text body', 'text/plain; charset=utf-8'),
  '/echo': (req, res) => sendHtml(res, JSON.stringify(req.headers), 'application/json'),

  '/robots.txt': (_req, res, _url, site) => {
    if (site.options.robots === null) return void sendHtml(res, 'not found', 'text/plain', 404)
    sendHtml(res, site.options.robots ?? 'User-agent: *\nDisallow: /private/\n', 'text/plain', site.options.robotsStatus ?? 200)
  },

  '/sitemap_index.xml': (_req, res, _url, site) => sendXml(res, sitemapIndex([`${site.origin}/sitemap-pages.xml`, `${site.origin}/sitemap-more.xml.gz`])),
  '/sitemap-pages.xml': (_req, res, _url, site) => sendXml(res, urlset(['/', '/a', '/b', '/docs/1', '/docs/2', '/file.pdf'].map((p) => site.origin + p))),
  '/sitemap-more.xml.gz': (_req, res, _url, site) => {
    const body = gzipSync(urlset(['/c', '/docs/3', '/a'].map((p) => site.origin + p)))
    res.writeHead(200, {'content-type': 'application/x-gzip', 'content-length': body.length})
    res.end(body)
  },
  '/sitemap-loop.xml': (_req, res, _url, site) => sendXml(res, sitemapIndex([`${site.origin}/sitemap-loop.xml`, `${site.origin}/sitemap_index.xml`])),
  '/sitemap-broken.xml': (_req, res) => sendXml(res, '<urlset><url><loc>http://x/a</loc></url>'),
  '/sitemap.txt': (_req, res, _url, site) => sendHtml(res, `${site.origin}/a\n${site.origin}/b\n`, 'text/plain'),
  '/sitemap-encoded.xml': (_req, res, _url, site) => {
    const body = gzipSync(urlset([`${site.origin}/a`]))
    res.writeHead(200, {'content-type': 'application/xml', 'content-encoding': 'gzip', 'content-length': body.length})
    res.end(body)
  },
  '/sitemap-with-missing.xml': (_req, res, _url, site) => sendXml(res, sitemapIndex([`${site.origin}/gone.xml`, `${site.origin}/sitemap-pages.xml`])),
  '/sitemap-flaky.xml': (_req, res, url, site) => {
    const key = `flaky:${url.searchParams.get('key')}`
    if (!site.limitedKeys.has(key)) {
      site.limitedKeys.add(key)
      return void sendHtml(res, 'busy', 'text/plain', 503)
    }
    sendXml(res, urlset([`${site.origin}/a`]))
  },
  '/sitemap-html.xml': (_req, res) => sendHtml(res, html('Not a sitemap', '<p>soft 404</p>')),

  '/redirect/301': (_req, res) => redirect(res, 301, '/redirect/302'),
  '/redirect/302': (_req, res) => redirect(res, 302, '/a'),
  '/redirect/loop-a': (_req, res) => redirect(res, 302, '/redirect/loop-b'),
  '/redirect/loop-b': (_req, res) => redirect(res, 302, '/redirect/loop-a'),
  '/redirect/to-private': (_req, res) => redirect(res, 301, '/private/secret'),
  '/redirect/to-ftp': (_req, res) => redirect(res, 302, 'ftp://127.0.0.1/file'),

  '/slow': (req, res, url) => {
    const timer = setTimeout(() => sendHtml(res, html('Slow', '<p>finally</p>')), Number(url.searchParams.get('ms') ?? 5000))
    req.socket.once('close', () => clearTimeout(timer))
  },
  '/limited': (_req, res, url, site) => limited(res, site, `limited:${url.searchParams.get('key')}`, url.searchParams.get('retry') ?? '1'),
  '/limited-date': (_req, res, url, site) =>
    limited(res, site, `date:${url.searchParams.get('key')}`, new Date(Date.now() + 2000).toUTCString()),
  '/unavailable': (_req, res) => sendHtml(res, 'down for maintenance', 'text/plain', 503),
  '/error': (_req, res) => sendHtml(res, 'internal error', 'text/plain', 500),
  '/forbidden': (_req, res) => sendHtml(res, 'no', 'text/plain', 403),
  '/huge': (_req, res) => streamHuge(res, false),
  '/huge-declared': (_req, res) => streamHuge(res, true),

  '/latin1-header': (_req, res) => sendHtml(res, Buffer.from(html(CHARSET_TEXT.latin1, `<p>${CHARSET_TEXT.latin1}</p>`), 'latin1'), 'text/html; charset=ISO-8859-1'),
  '/latin1-meta': (_req, res) => sendHtml(res, Buffer.from(html(CHARSET_TEXT.latin1, `<p>${CHARSET_TEXT.latin1}</p>`, '<meta charset="iso-8859-1">'), 'latin1'), 'text/html'),
  '/cp1252-header': (_req, res) => sendHtml(res, encodeCp1252(html(CHARSET_TEXT.cp1252, `<p>${CHARSET_TEXT.cp1252}</p>`)), 'text/html; charset=windows-1252'),
  '/cp1252-meta': (_req, res) => sendHtml(res, encodeCp1252(html(CHARSET_TEXT.cp1252, `<p>${CHARSET_TEXT.cp1252}</p>`,
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')), 'text/html'),
  '/sjis-header': (_req, res) => sendHtml(res, Buffer.concat([Buffer.from('<html><head><title>'), SJIS_BYTES,
    Buffer.from('</title></head><body><p>'), SJIS_BYTES, Buffer.from('</p></body></html>')]), 'text/html; charset=Shift_JIS'),
  '/utf8-bom': (_req, res) => sendHtml(res, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(html('BOM', `<p>${CHARSET_TEXT.latin1}</p>`))]),
    'text/html; charset=iso-8859-1'),
}

function redirect(res: http.ServerResponse, status: number, location: string): void {
  res.writeHead(status, {location, 'content-type': 'text/plain'})
  res.end(`moved to ${location}`)
}

function limited(res: http.ServerResponse, site: SiteState, key: string, retryAfter: string): void {
  if (!site.limitedKeys.has(key)) {
    site.limitedKeys.add(key)
    res.writeHead(429, {'retry-after': retryAfter, 'content-type': 'text/plain'})
    res.end('slow down')
    return
  }
  sendHtml(res, html('Limited', '<p>now you may</p>'))
}

/** Paced (16 KiB every 2 ms) so that a client that stops reading is seen to cut the response. */
function streamHuge(res: http.ServerResponse, declared: boolean): void {
  res.writeHead(200, {'content-type': 'text/html', ...(declared ? {'content-length': HUGE_BYTES} : {})})
  const chunk = Buffer.alloc(16 * 1024, 'x')
  let sent = 0
  const timer = setInterval(() => {
    if (res.destroyed) return void clearInterval(timer)
    res.write(chunk)
    sent += chunk.length
    if (sent >= HUGE_BYTES) {
      clearInterval(timer)
      res.end()
    }
  }, 2)
  res.once('close', () => clearInterval(timer))
}

export async function startTestSite(options: TestSiteOptions = {}): Promise<TestSite> {
  const times = new Map<string, number[]>()
  const headers = new Map<string, http.IncomingHttpHeaders>()
  const aborted = new Map<string, number>()
  const notModifiedCounts = new Map<string, number>()
  const overrides = new Map<string, {html: string; revision: number}>()
  let revisions = 0
  const state: SiteState = {origin: '', limitedKeys: new Set(), options}

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', state.origin)
    const key = url.pathname + url.search
    const override = overrides.get(url.pathname)
    FACTS.set(res, {
      validators: options.validators ?? 'both', revision: override?.revision ?? 0,
      notModified: () => notModifiedCounts.set(key, (notModifiedCounts.get(key) ?? 0) + 1),
    })
    times.set(key, [...(times.get(key) ?? []), Date.now()])
    headers.set(key, req.headers)
    res.once('close', () => {
      if (!res.writableFinished) aborted.set(key, (aborted.get(key) ?? 0) + 1)
    })
    const deep = /^\/sitemap-deep-(\d+)\.xml$/.exec(url.pathname)
    const chain = /^\/redirect\/chain\/(\d+)$/.exec(url.pathname)
    const route: Handler | undefined = override
      ? (_q, r) => sendHtml(r, override.html)
      : deep
      ? (_q, r) => sendXml(r, sitemapIndex([Number(deep[1]) > 1 ? `${state.origin}/sitemap-deep-${Number(deep[1]) - 1}.xml` : `${state.origin}/sitemap-pages.xml`]))
      : chain
        ? (_q, r) => redirect(r, 302, Number(chain[1]) > 1 ? `/redirect/chain/${Number(chain[1]) - 1}` : '/a')
        : ROUTES[url.pathname]
    if (!route) return void sendHtml(res, html('Not found', '<p>404</p>'), 'text/html', 404)
    Promise.resolve(route(req, res, url, state)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: state.origin,
    requests: (path) => times.get(path)?.length ?? 0,
    requestTimes: (path) => [...(times.get(path) ?? [])],
    lastHeaders: (path) => headers.get(path),
    abortedResponses: (path) => aborted.get(path) ?? 0,
    notModified: (path) => notModifiedCounts.get(path) ?? 0,
    setPage: (path, html) => {
      overrides.set(path, {html, revision: ++revisions})
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections()
      server.close((error) => (error ? reject(error) : resolve()))
    }),
  }
}
