import {execFileSync} from 'node:child_process'
import type dns from 'node:dns'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import type {Adapter, AdapterOutput} from '../../../src/adapters/types.js'
import {sitemapParserConfig, webCrawlerConfig, webScraperConfig} from '../../../src/adapters/web/catalog.js'
import {CHROMIUM_PATH} from '../../../src/adapters/web/chromium.js'
import {createFetchers, type Fetchers, type FetchersOptions} from '../../../src/adapters/web/fetchers.js'
import {createAdapter as createSitemapParser} from '../../../src/adapters/web/sitemap-parser.js'
import {createAdapter as createCrawler} from '../../../src/adapters/web/web-crawler.js'
import {createAdapter as createScraper} from '../../../src/adapters/web/web-scraper.js'
import {RUN_NETWORK_POLICY, SERVE_NETWORK_POLICY} from '../../../src/network/address-policy.js'
import {createWebHarness, failure, single, type WebHarness} from './helpers.js'

/**
 * The crawler's network policy (issue 22): every address is checked after DNS resolution and on
 * every redirect hop, in web_scraper, sitemap_parser and Chromium alike; credentials stay on their
 * origin; https → http is refused. Names resolve through an injected lookup (`*.test` → chosen
 * addresses), so a "public" name pointing at the metadata address needs no DNS server.
 */

interface Received {
  url: string
  headers: http.IncomingHttpHeaders
}

interface TestServer {
  url: string
  port: number
  received: Received[]
  upgrades: number
  close(): Promise<void>
}

async function listen(server: http.Server | https.Server, host: string, received: Received[], scheme: 'http' | 'https'): Promise<TestServer> {
  const state = {upgrades: 0}
  server.on('upgrade', (_request, socket) => {
    state.upgrades++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `${scheme}://${host}:${port}`, port, received,
    get upgrades() {
      return state.upgrades
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function startServer(host: string, handler: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<TestServer> {
  const received: Received[] = []
  return listen(http.createServer((request, response) => {
    received.push({url: request.url ?? '', headers: request.headers})
    handler(request, response)
  }), host, received, 'http')
}

const page = (body: string) => (_request: http.IncomingMessage, response: http.ServerResponse) => {
  response.writeHead(200, {'content-type': 'text/html; charset=utf-8'}).end(`<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`)
}

/** `*.test` names resolve to the address after the first dot-separated label's mapping; others fail. */
function testLookup(names: Record<string, string>): typeof dns.lookup {
  const lookup = (hostname: string, options: dns.LookupOptions, callback: (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    const address = names[hostname]
    if (address === undefined) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {code: 'ENOTFOUND'}), '')
    const family = address.includes(':') ? 6 : 4
    if (options.all) return callback(null, [{address, family}])
    callback(null, address, family)
  }
  return lookup as unknown as typeof dns.lookup
}

const NAMES = {'metadata.test': '169.254.169.254', 'mapped.test': '::ffff:169.254.169.254', 'internal.test': '127.0.0.2', 'site.test': '127.0.0.1'}

describe('the crawler network policy', {timeout: 60_000}, () => {
  const harnesses: WebHarness[] = []
  const fetchers: Fetchers[] = []
  const servers: TestServer[] = []
  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()))
    await Promise.all(fetchers.map((f) => f.close()))
    await Promise.all(servers.map((s) => s.close()))
  })

  async function harnessWith(options: FetchersOptions): Promise<WebHarness> {
    const harness = await createWebHarness()
    const own = createFetchers({lookup: testLookup(NAMES), ...options})
    fetchers.push(own)
    harnesses.push(harness)
    return {...harness, resources: {...harness.resources, fetchers: own}}
  }
  const server = async (host: string, handler: Parameters<typeof startServer>[1]) => {
    const started = await startServer(host, handler)
    servers.push(started)
    return started
  }
  const scrape = (harness: WebHarness, url: string, config: Record<string, unknown> = {}) =>
    createScraper(webScraperConfig.parse({respect_robots_txt: false, ...config}), harness.resources).process(harness.context({url}))

  describe('web_scraper', () => {
    it('refuses a name that resolves to the metadata address, even where private ranges are allowed (factflow run)', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      for (const url of ['http://metadata.test/latest/meta-data/', 'http://mapped.test/', 'http://169.254.169.254/', 'http://[::ffff:a9fe:a9fe]/', 'http://[fe80::1]/']) {
        expect(await failure(scrape(harness, url)), url).toMatchObject({code: 'NETWORK_TARGET_REFUSED', retryable: false})
      }
    })

    it('refuses a redirect hop to the metadata address and to a name that resolves to it', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      const site = await server('127.0.0.1', (request, response) => {
        const to = request.url === '/to-literal' ? 'http://169.254.169.254/latest/meta-data/iam/' : 'http://metadata.test/latest/'
        response.writeHead(302, {location: to}).end()
      })
      for (const hop of ['/to-literal', '/to-name']) {
        expect(await failure(scrape(harness, site.url + hop))).toMatchObject({code: 'NETWORK_TARGET_REFUSED', message: expect.stringContaining('169.254.169.254')})
      }
      expect(site.received.map((r) => r.url)).toEqual(['/to-literal', '/to-name'])
    })

    it('refuses loopback and private addresses under the server\'s policy, first request or redirect hop, by address or by name', async () => {
      // 127.0.0.1 stands for a public site here (allowed by address); 127.0.0.2 is the private network behind it.
      const harness = await harnessWith({network: {...SERVE_NETWORK_POLICY, allowAddresses: ['127.0.0.1']}})
      const inside = await server('127.0.0.2', page('secret'))
      const site = await server('127.0.0.1', (request, response) => {
        const to = request.url === '/by-address' ? `${inside.url}/admin` : `http://internal.test:${inside.port}/admin`
        response.writeHead(301, {location: to}).end()
      })
      expect(await failure(scrape(harness, `${site.url}/by-address`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
      expect(await failure(scrape(harness, `${site.url}/by-name`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED', message: expect.stringContaining('internal.test resolves to 127.0.0.2')})
      expect(await failure(scrape(harness, `http://internal.test:${inside.port}/admin`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
      expect(await failure(scrape(harness, `${inside.url}/admin`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
      expect(inside.received).toEqual([])

      const closed = await harnessWith({network: SERVE_NETWORK_POLICY})
      expect(await failure(scrape(closed, `${site.url}/by-address`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
      expect(await failure(scrape(closed, `http://site.test:${site.port}/by-address`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    })

    it('reads robots.txt through the policy too: a refused origin is never asked', async () => {
      const harness = await harnessWith({network: SERVE_NETWORK_POLICY})
      const site = await server('127.0.0.1', page('robots'))
      expect(await failure(scrape(harness, `${site.url}/a`, {respect_robots_txt: true}))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
      expect(site.received).toEqual([])
    })

    it('sends the config\'s headers to the origin asked for and drops them when a redirect leaves it', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      const other = await server('127.0.0.1', page('other origin'))
      const site = await server('127.0.0.1', (request, response) => {
        if (request.url === '/start') response.writeHead(302, {location: '/same'}).end()
        else if (request.url === '/same') response.writeHead(302, {location: `${other.url}/landing`}).end()
        else page('?')(request, response)
      })
      const headers = {Authorization: 'Bearer sk-secret', Cookie: 'session=abc', 'X-Api-Key': 'k-123'}
      const output = single(await scrape(harness, `${site.url}/start`, {headers, user_agent: 'probe/1'}))
      expect(output.payload).toMatchObject({final_url: `${other.url}/landing`, status: 200})
      for (const hop of site.received) expect(hop.headers, hop.url).toMatchObject({authorization: 'Bearer sk-secret', cookie: 'session=abc', 'x-api-key': 'k-123'})
      expect(site.received.map((r) => r.url)).toEqual(['/start', '/same'])
      expect(other.received).toHaveLength(1)
      const foreign = other.received[0]!.headers
      expect(foreign.authorization).toBeUndefined()
      expect(foreign.cookie).toBeUndefined()
      expect(foreign['x-api-key']).toBeUndefined()
      expect(foreign['user-agent']).toBe('probe/1')
    })
  })

  describe('https → http', () => {
    let dir: string
    let secure: TestServer
    let plain: TestServer
    let ca: string
    beforeAll(async () => {
      // A self-signed certificate for 127.0.0.1, made now (openssl is part of the machine, as in CI).
      dir = await mkdtemp(path.join(tmpdir(), 'factflow-tls-'))
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], {stdio: 'ignore'})
      ca = await readFile(path.join(dir, 'cert.pem'), 'utf8')
      plain = await server('127.0.0.1', page('plain'))
      const received: Received[] = []
      secure = await listen(https.createServer({key: await readFile(path.join(dir, 'key.pem')), cert: ca}, (request, response) => {
        received.push({url: request.url ?? '', headers: request.headers})
        if (request.url === '/ok') return page('secure')(request, response)
        response.writeHead(301, {location: `${plain.url}/downgraded`}).end()
      }), '127.0.0.1', received, 'https')
      servers.push(secure)
    })
    afterEach(() => {
      plain.received.length = 0
    })
    afterAll(() => rm(dir, {recursive: true, force: true}))

    it('refuses the downgrade with REDIRECT_DOWNGRADE and sends nothing over plain http', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY, ca})
      expect(single(await scrape(harness, `${secure.url}/ok`)).payload).toMatchObject({status: 200})
      const error = await failure(scrape(harness, `${secure.url}/login`, {headers: {Authorization: 'Bearer sk-secret'}}))
      expect(error).toMatchObject({code: 'REDIRECT_DOWNGRADE', retryable: false})
      expect(plain.received).toEqual([])
      expect(secure.received.at(-1)!.headers.authorization).toBe('Bearer sk-secret')
    })

    it('refuses a sitemap redirected from https to http', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY, ca})
      const parser = createSitemapParser(sitemapParserConfig.parse({}), harness.resources)
      expect(await failure(parser.process(harness.context({sitemap_url: `${secure.url}/sitemap.xml`})))).toMatchObject({code: 'REDIRECT_DOWNGRADE'})
      expect(plain.received).toEqual([])
    })
  })

  describe('sitemap_parser', () => {
    it('refuses a sitemap on a refused address and leaves out a nested sitemap that resolves to one', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      const site = await server('127.0.0.1', (request, response) => {
        response.writeHead(200, {'content-type': 'application/xml'})
        if (request.url === '/index.xml') {
          response.end(`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>http://metadata.test/sitemap.xml</loc></sitemap><sitemap><loc>/pages.xml</loc></sitemap></sitemapindex>`)
        } else {
          response.end(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/a</loc></url></urlset>`)
        }
      })
      const parser = createSitemapParser(sitemapParserConfig.parse({}), harness.resources)
      const output = single(await parser.process(harness.context({sitemap_url: `${site.url}/index.xml`})))
      expect(output.payload.urls).toEqual([`${site.url}/a`])
      expect(output.payload.failed_sitemaps).toEqual([expect.objectContaining({url: 'http://metadata.test/sitemap.xml', code: 'NETWORK_TARGET_REFUSED'})])
      expect(await failure(parser.process(harness.context({sitemap_url: 'http://metadata.test/sitemap.xml'})))).toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    })
  })

  // Chromium is a system package (Debian `chromium`); CI installs it, so there a missing one fails.
  describe.skipIf(!existsSync(CHROMIUM_PATH) && process.env.CI !== 'true')('web_crawler (Chromium through interception)', () => {
    const adapters: Adapter[] = []
    afterAll(async () => {
      await Promise.all(adapters.map((adapter) => adapter.close?.()))
    })
    const crawl = async (harness: WebHarness, url: string) => {
      const adapter = createCrawler(webCrawlerConfig.parse({timeout: 15}), harness.resources)
      adapters.push(adapter)
      return adapter.process(harness.context({url}))
    }

    it('lets page scripts reach no refused address and open no WebSocket', async () => {
      const harness = await harnessWith({network: {...SERVE_NETWORK_POLICY, allowAddresses: ['127.0.0.1']}})
      const inside = await server('127.0.0.2', page('secret'))
      const script = `
        const probe = (url) => fetch(url).then(() => 'reached', () => 'blocked');
        const socket = () => new Promise((resolve) => {
          const ws = new WebSocket(location.origin.replace('http', 'ws') + '/ws');
          ws.onopen = () => resolve('open');
          ws.onerror = ws.onclose = () => resolve('closed');
        });
        Promise.all([probe('${inside.url}/admin'), probe('http://internal.test:${inside.port}/admin'), probe('http://metadata.test/latest/'), probe('/own'), socket()])
          .then((results) => { const p = document.createElement('p'); p.id = 'done'; p.textContent = results.join(','); document.body.append(p) });`
      const site = await server('127.0.0.1', (request, response) => {
        if (request.url === '/own') return response.writeHead(200, {'access-control-allow-origin': '*'}).end('own')
        page(`<script>${script}</script>`)(request, response)
      })
      const adapter = createCrawler(webCrawlerConfig.parse({timeout: 15, wait_for_selector: '#done'}), harness.resources)
      adapters.push(adapter)
      const output = single(await adapter.process(harness.context({url: `${site.url}/`})))
      expect(output.payload.html).toContain('<p id="done">blocked,blocked,blocked,reached,closed</p>')
      expect(inside.received).toEqual([])
      expect(site.upgrades).toBe(0)
      expect(site.received.map((r) => r.url).sort()).toEqual(['/', '/own', '/robots.txt'])
    })

    it('refuses a start page whose name resolves to the metadata address, and a redirect to it', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      const site = await server('127.0.0.1', (_request, response) => response.writeHead(302, {location: 'http://metadata.test/latest/'}).end())
      expect(await failure(crawl(harness, 'http://metadata.test/latest/'))).toMatchObject({code: 'NETWORK_TARGET_REFUSED', retryable: false})
      expect(await failure(crawl(harness, `${site.url}/go`))).toMatchObject({code: 'NETWORK_TARGET_REFUSED', retryable: false})
      expect(site.received.map((r) => r.url)).toEqual(['/robots.txt', '/go'])
    })

    it('gives Chromium no way out by itself: a request that escaped interception fails at the unreachable proxy', async () => {
      const own = createFetchers()
      fetchers.push(own)
      const lease = own.browser()
      const site = await server('127.0.0.1', page('direct'))
      const context = await (await lease.get()).newContext()
      try {
        const direct = await (await context.newPage()).goto(`${site.url}/direct`, {timeout: 10_000}).then(() => 'loaded', (error: Error) => error.message)
        expect(direct).toMatch(/ERR_PROXY_CONNECTION_FAILED|ERR_CONNECTION_REFUSED|ERR_TUNNEL/)
        expect(site.received).toEqual([])
      } finally {
        await context.close()
        await lease.release()
      }
    })

    it('still renders an allowed page and follows its allowed redirects', async () => {
      const harness = await harnessWith({network: RUN_NETWORK_POLICY})
      const site = await server('127.0.0.1', (request, response) => {
        if (request.url === '/old') return response.writeHead(301, {location: '/new'}).end()
        page('<p id="x">fine</p>')(request, response)
      })
      const output = single(await crawl(harness, `${site.url}/old`) as AdapterOutput)
      expect(output.payload).toMatchObject({final_url: `${site.url}/new`, status: 200, html: expect.stringContaining('<p id="x">fine</p>')})
    })
  })
})
