import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {Browser, Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BROWSER_AVAILABLE, launchBrowser, screenshot} from '../helpers/browser.js'
import {fileReadPipelineYaml, slowFolderPipelineYaml} from '../helpers/file-read-pipeline.js'
import {type IdentityProxy, startIdentityProxy} from '../helpers/identity-proxy.js'
import {type Served, startServe} from '../helpers/serve-process.js'

const FILES = {'alpha.md': '# Alpha\n\nThe alpha file talks about pipelines and lineage trees.\n', 'beta.md': '# Beta\n\nBeta is about storage previews.\n', 'gamma.txt': 'gamma plain text\n',
  'delta.html': '<!doctype html><title>Delta</title><h1>Delta</h1><p>delta html page</p><script>parent.document.title = "taken"</script>'}

const IDENTITY = {'x-forwarded-user': 'alice'}

/**
 * The web view in a real browser (Debian's Chromium via playwright-core) against the built
 * `factflow serve --embedded` with `auth.required`, reached through a proxy that adds the identity
 * header (as an SSO proxy would): configs → run → live execution page → graph → lineage → artefact
 * preview, chat with a citation. Screenshots go to test-results/web/.
 */
describe.skipIf(!BROWSER_AVAILABLE)('the web view in a browser', {timeout: 120_000}, () => {
  let work: string
  let docs: string
  let served: Served | undefined
  let proxy: IdentityProxy | undefined
  /** Where the browser goes: the proxy. */
  let site = ''
  let browser: Browser | undefined
  let page: Page
  let executionId = ''
  const pageErrors: string[] = []
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
  const api = async (method: string, route: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${served!.url}/api/v1${route}`, {method, headers: {'content-type': 'application/json', ...IDENTITY}, body: body === undefined ? undefined : JSON.stringify(body)})
    const text = await response.text()
    if (response.status >= 400) throw new Error(`${method} ${route}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-web-'))
    docs = path.join(work, 'docs')
    await mkdir(docs)
    for (const [name, text] of Object.entries(FILES)) await writeFile(path.join(docs, name), text)
    await writeFile(path.join(work, 'factflow.yaml'), 'auth:\n  required: true\n  trusted_proxies: [127.0.0.1]\n')
    ;[served, browser] = await Promise.all([startServe(work, {FACTFLOW_DB_WORKER_NICE: '0', FACTFLOW_FILES_ROOT: work}), launchBrowser()])
    proxy = await startIdentityProxy(served.url, IDENTITY)
    site = proxy.url
    page = await browser.newPage({viewport: {width: 1280, height: 860}})
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // Failed requests are checked by URL: the replay test may meet a server without the endpoint.
    page.on('response', (response) => { if (response.status() >= 400 && !response.url().endsWith('/replay')) pageErrors.push(`${response.status()} ${response.url()}`) })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await proxy?.close()
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  it('serves the app at / and at page paths, while an unknown API path stays a JSON error', async () => {
    // The page itself needs no identity; the API does.
    const home = await fetch(`${served!.url}/executions/whatever/graph`)
    expect(home.status).toBe(200)
    expect(home.headers.get('content-type')).toContain('text/html')
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await home.text())![1]!
    const asset = await fetch(`${served!.url}${script}`)
    expect(asset.headers.get('content-type')).toContain('text/javascript')
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const missing = await fetch(`${served!.url}/api/v1/no-such-thing`, {headers: IDENTITY})
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as {error_code: string}).error_code).toBe('NOT_FOUND')
    expect((await fetch(`${served!.url}/api/v1/executions`)).status).toBe(401)
  })

  it('without the proxy\'s identity, says the server wants one', async () => {
    await page.goto(`${served!.url}/`)
    await page.getByRole('alert').getByText('requires an identity').waitFor()
    pageErrors.length = 0
  })

  it('creates a shipped pipeline from the configs page, validating as it is typed, and runs it to a completed execution page', async () => {
    const yaml = await readFile(path.resolve('config/pipelines/local-folder-to-storage.yaml'), 'utf8')
    await page.goto(`${site}/configs`)
    await page.getByRole('link', {name: 'New config'}).click()
    await page.getByLabel('Name').fill('folder')
    // A broken first draft: the report names the line, then the real YAML makes it valid.
    await page.getByLabel('Pipeline YAML').fill(`${yaml}\n  bogus_key: 1\nroutes_typo: {}\n`)
    await page.locator('.validation').getByText('invalid').waitFor()
    await expect.poll(() => page.locator('.issues li').count()).toBeGreaterThan(0)
    await page.getByLabel('Pipeline YAML').fill(yaml)
    await page.locator('.validation .badge', {hasText: 'valid'}).filter({hasNotText: 'invalid'}).waitFor()
    await screenshot(page, 'config-new')
    await page.getByRole('button', {name: 'Create'}).click()
    await page.waitForURL(/\/configs\/[0-9a-f-]{36}$/)
    await page.getByLabel('Init payload overrides').fill(JSON.stringify({path: docs}))
    await screenshot(page, 'config-view')
    await page.getByRole('button', {name: 'Run', exact: true}).click()
    await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/)
    executionId = page.url().split('/').at(-1)!
    await page.locator('h1 .badge', {hasText: 'completed'}).waitFor({timeout: 60_000})
    // 1 listing + 4 files read + 4 loaded back.
    await expect.poll(() => page.getByTestId('totals').textContent()).toContain('9 completed of 9')
    expect(await page.getByTestId('completed-read').textContent()).toBe('4')
    expect(await page.getByTestId('completed-load').textContent()).toBe('4')
    // The listing's fan-out: its four files, each sent on (the same text as the terminal's view).
    expect(await page.getByTestId('elements-list').textContent()).toBe('4/4')
    expect(await page.getByTestId('elements-read').textContent()).toBe('')
    await screenshot(page, 'execution-completed')
  })

  it('updates a running execution\'s page live from the stream, without reloading', async () => {
    const config = await api('POST', '/configs', {name: 'slow', config_yaml: slowFolderPipelineYaml(docs, 1500)})
    const execution = await api('POST', `/configs/${config.id}/run`)
    // The list carries a running execution's live counters (the executions page shows its counts).
    const running = await api('GET', '/executions?status=running')
    expect(running.executions[0].routes.read).toMatchObject({received: expect.any(Number), completed: expect.any(Number)})
    await page.goto(`${site}/executions/${execution.id}`)
    await page.evaluate('window.marker = 42')
    await page.locator('h1 .badge', {hasText: 'running'}).waitFor()
    await page.locator('[data-testid="completed-read"]').waitFor()
    const seen = new Set<string>()
    for (let i = 0; i < 200 && !(await page.locator('h1 .badge', {hasText: 'completed'}).count()); i++) {
      seen.add((await page.getByTestId('completed-read').textContent().catch(() => null)) ?? '')
      if (i === 2) await screenshot(page, 'execution-running')
      await page.waitForTimeout(100)
    }
    expect(await page.locator('h1 .badge').textContent()).toBe('completed')
    // slow-folder reads the two *.md files.
    expect(await page.getByTestId('completed-read').textContent()).toBe('2')
    // The counter passed through intermediate values: the page followed the run, it did not load the end.
    expect([...seen].filter((v) => ['0', '1'].includes(v)).length).toBeGreaterThan(0)
    expect(await page.evaluate('window.marker')).toBe(42)
  })

  it('lists executions with status, pipeline and counts, filtered by status', async () => {
    const listRequests: string[] = []
    const onRequest = (request: {url: () => string}) => { if (request.url().includes('/api/v1/executions?')) listRequests.push(request.url()) }
    page.on('request', onRequest)
    await page.goto(`${site}/`)
    await page.locator('table.executions tbody tr[data-status]').nth(1).waitFor()
    page.off('request', onRequest)
    // The page's inline script started the list request before the bundle ran (the CSP lets it run by
    // its hash), and the app took that response instead of asking again.
    expect(await page.evaluate('window.__factflowPreload && Object.keys(window.__factflowPreload).length')).toBe(0)
    expect(listRequests).toEqual([`${site}/api/v1/executions?limit=50`])
    const first = page.locator('table.executions tbody tr', {hasText: 'local-folder-to-storage'})
    expect(await first.locator('td').nth(5).textContent()).toBe('9/9')
    await page.getByLabel('Status').selectOption('failed')
    await page.waitForURL(/status=failed/)
    await page.getByText('No executions match these filters').waitFor()
    await page.getByLabel('Status').selectOption('')
    await page.locator('table.executions tbody tr[data-status]').nth(1).waitFor()
    await screenshot(page, 'executions')
    await page.emulateMedia({colorScheme: 'dark'})
    await screenshot(page, 'executions-dark')
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor')
    expect(background).not.toBe('rgb(251, 251, 252)')
    await page.emulateMedia({colorScheme: 'light'})
  })

  it('draws the pipeline graph with live counts, and a node filters the page to its route', async () => {
    await page.goto(`${site}/executions/${executionId}`)
    await page.getByRole('link', {name: 'Graph'}).click()
    const read = page.locator('g.node[data-route="read"]')
    await read.waitFor()
    expect(await page.locator('g.node').count()).toBe(3)
    expect(await page.locator('path.edge').count()).toBe(2)
    await expect.poll(() => read.getAttribute('aria-label')).toContain('4 of 4 completed')
    await read.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/route=read/)
    await screenshot(page, 'graph')
  })

  it('shows the lineage tree, a message\'s stages and artefacts, and previews the artefact', async () => {
    await page.goto(`${site}/executions/${executionId}/lineage`)
    const root = page.locator('[role=treeitem][aria-level="1"]')
    await root.first().waitFor()
    expect(await root.count()).toBe(1)
    expect(await page.locator('[role=treeitem][aria-level="2"]').count()).toBe(4)
    // Keyboard: focus the root, go down to the first file, open it.
    await root.first().focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowRight')
    await page.locator('[role=treeitem][aria-level="3"]').first().waitFor()
    await page.getByRole('button', {name: 'Collapse all'}).click()
    expect(await page.locator('[role=treeitem]').count()).toBe(1)
    await page.getByRole('button', {name: 'Expand all'}).click()
    expect(await page.locator('[role=treeitem]').count()).toBe(9)
    await page.locator('[role=treeitem][aria-level="2"]').first().click()
    const details = page.getByRole('complementary', {name: 'Message details'})
    await details.getByText('file_reader').first().waitFor()
    await details.locator('a[href^="/storage"]').first().waitFor()
    await page.getByRole('button', {name: 'Show chain (root → leaves)'}).click()
    await details.locator('ol.chain li').nth(2).waitFor()
    await screenshot(page, 'lineage')
    const link = details.locator('a[href^="/storage"]').first()
    const source = await link.textContent()
    await link.click()
    await page.waitForURL(/\/storage\?/)
    const file = Object.keys(FILES).find((name) => source!.endsWith(name))!
    if (file.endsWith('.md')) {
      // Markdown is rendered; its source is one click away.
      const rendered = page.getByTestId('markdown-preview')
      await rendered.waitFor()
      expect(await rendered.locator('h1').textContent()).toBe(FILES[file as keyof typeof FILES].split('\n')[0]!.slice(2))
      await page.getByLabel('Show the markdown source').check()
    }
    const preview = page.getByTestId('text-preview')
    await preview.waitFor()
    expect(await preview.textContent()).toBe(FILES[file as keyof typeof FILES])
    const download = page.getByRole('link', {name: 'Download'})
    expect(await download.getAttribute('download')).toBeTruthy()
    // An artefact opened on its own is sandboxed: stored HTML cannot act as a page of this origin.
    const object = await fetch(new URL((await download.getAttribute('href'))!, served!.url), {headers: IDENTITY})
    expect(object.headers.get('content-security-policy')).toBe('sandbox')
    expect(await object.text()).toBe(FILES[file as keyof typeof FILES])
    await screenshot(page, 'storage-preview')

    // HTML in a sandboxed frame: shown, its script kept from the page.
    await page.goto(`${site}/executions/${executionId}/artefacts`)
    await page.getByRole('link', {name: /delta\.html$/}).click()
    const frame = page.frameLocator('iframe[title="HTML preview"]')
    await frame.getByText('delta html page').waitFor()
    expect(await page.title()).toBe('factflow')
    await screenshot(page, 'storage-html-preview')
  })

  it('replays from a stage into a new execution (or says clearly that the server cannot)', async () => {
    await page.goto(`${site}/executions/${executionId}`)
    await page.getByRole('button', {name: 'Replay from a stage…'}).click()
    await page.getByLabel('From stage').selectOption('file_reader')
    await page.getByRole('button', {name: 'Replay', exact: true}).click()
    const offered = Object.keys(((await (await fetch(`${served!.url}/openapi.json`)).json()) as {paths: object}).paths).includes('/api/v1/executions/{id}/replay')
    if (offered) {
      // A new execution fed with the stored files of `read`, shown live, linking back to its parent.
      await page.waitForURL((url) => /^\/executions\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(executionId))
      await page.getByRole('link', {name: executionId}).waitFor()
      await page.locator('h1 .badge', {hasText: 'completed'}).waitFor({timeout: 60_000})
      await expect.poll(() => page.getByTestId('completed-load').textContent()).toBe('4')
      // The parent lists its replays, each linking to its execution.
      const replayId = new URL(page.url()).pathname.split('/').at(-1)!
      await page.getByRole('link', {name: executionId}).click()
      await page.waitForURL((url) => url.pathname.endsWith(executionId))
      const replayLink = page.locator(`section.replays a[href="/executions/${replayId}"]`)
      await replayLink.waitFor()
      await replayLink.click()
      await page.waitForURL((url) => url.pathname.endsWith(replayId))
    } else {
      await page.getByText('This server does not offer replay').waitFor()
    }
    await screenshot(page, 'replay')
  })

  it('renders a markdown artefact sanitised: its scripts, handlers and javascript: links never run', async () => {
    const file = path.join(work, 'hostile.md')
    await writeFile(file, '# Hostile\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n<script>window.__ran = 1</script>\n\n' +
      '<img src="x" onerror="window.__ran = 2">\n\n[click](javascript:window.__ran=3)\n')
    const config = await api('POST', '/configs', {name: 'hostile', config_yaml: fileReadPipelineYaml('hostile', file)})
    const run = await api('POST', `/configs/${config.id}/run?tag=hostile-run`)
    let key: string | undefined
    for (let i = 0; i < 200 && key === undefined; i++) {
      const listed = await api('GET', `/storage/objects?prefix=${encodeURIComponent(`executions/${run.id}/`)}`)
      key = (listed.objects as Array<{key: string}>).find((object) => object.key.endsWith('.md'))?.key
      if (key === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(key).toBeDefined()
    await page.goto(`${site}/storage?prefix=${encodeURIComponent(key!.slice(0, key!.lastIndexOf('/') + 1))}&key=${encodeURIComponent(key!)}`)
    const rendered = page.getByTestId('markdown-preview')
    await rendered.waitFor()
    expect(await rendered.locator('h1').textContent()).toBe('Hostile')
    expect(await rendered.locator('table td').count()).toBe(2)
    expect(await rendered.locator('script, [onerror]').count()).toBe(0)
    expect(await rendered.locator('a[href^="javascript:"]').count()).toBe(0)
    await rendered.getByText('click').click()
    expect(await page.evaluate(() => (globalThis as {__ran?: number}).__ran)).toBeUndefined()
    await screenshot(page, 'markdown-preview')
  })

  it('lists an execution\'s dead letters and redrives one, then all, the panel following each redrive', async () => {
    const file = path.join(work, 'late.txt')
    const config = await api('POST', '/configs', {name: 'late', config_yaml: fileReadPipelineYaml('late', file)})
    const run = await api('POST', `/configs/${config.id}/run?tag=late-run`)
    await page.goto(`${site}/executions/${run.id}`)
    await page.locator('h1 .badge', {hasText: 'completed'}).waitFor({timeout: 60_000})
    const letters = page.locator('section.dead-letters tr[data-letter]')
    await letters.first().waitFor()
    expect(await letters.count()).toBe(1)
    const row = await letters.first().textContent()
    for (const part of ['read', 'file_reader', 'FILE_NOT_FOUND', 'late.txt']) expect(row).toContain(part)
    expect(await letters.first().locator('td.num').textContent()).toBe('1')
    await screenshot(page, 'dead-letters')

    // The file is still missing: redriven, the message is dead-lettered again as a new letter.
    await letters.first().getByRole('button', {name: /^Redrive dead letter/}).click()
    await expect.poll(() => letters.count(), {timeout: 60_000}).toBe(2)
    expect(await letters.nth(0).getAttribute('data-redriven')).toBe('true')
    expect(await letters.nth(1).getAttribute('data-redriven')).toBe('false')
    await page.getByTestId('dlq-count').getByText('1 open of 2').waitFor()

    // Fixed: "Redrive all" puts it back and the execution completes it.
    await writeFile(file, 'now it exists')
    await page.getByRole('button', {name: 'Redrive all (1)'}).click()
    await page.getByTestId('dlq-count').getByText('0 open of 2').waitFor({timeout: 60_000})
    await page.locator('h1 .badge', {hasText: 'completed'}).waitFor({timeout: 60_000})
    expect((await api('GET', `/lineage?execution_id=${run.id}&route_id=done&status=completed`)).total).toBe(1)
    // The page followed the run the redrive started (a new stream): `done` completed the message.
    await expect.poll(() => page.getByTestId('completed-done').textContent().catch(() => null), {timeout: 30_000}).toBe('1')
    await screenshot(page, 'dead-letters-redriven')
  })

  it('filters the executions list by tag as it is typed', async () => {
    await page.goto(`${site}/`)
    await page.locator('table.executions tbody tr[data-status]').nth(1).waitFor()
    expect(await page.locator('table.executions tbody tr[data-status]').count()).toBeGreaterThan(1)
    await page.getByLabel('Tag').fill('late-')
    await page.waitForURL(/tag=late-/)
    await expect.poll(() => page.locator('table.executions tbody tr[data-status]').count()).toBe(1)
    expect(await page.locator('table.executions tbody tr[data-status] td').nth(2).textContent()).toBe('late-run')
    await page.getByLabel('Tag').fill('no-such-tag')
    await page.getByText('No executions match these filters').waitFor()
    await screenshot(page, 'executions-tag-filter')
    await page.getByLabel('Tag').fill('')
    await page.waitForURL((url) => !url.search.includes('tag='))
  })

  it('answers a chat question with the local profile, streamed, with a citation', async () => {
    const yaml = await readFile(path.resolve('config/pipelines/folder-to-embeddings.yaml'), 'utf8')
    const config = await api('POST', '/configs', {name: 'embeddings', config_yaml: yaml})
    const run = await api('POST', `/configs/${config.id}/run`, {path: docs})
    for (let i = 0; i < 600; i++) {
      const e = await api('GET', `/executions/${run.id}`)
      if (e.status !== 'running' && e.completed_at) { expect(e.status).toBe('completed'); break }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await page.goto(`${site}/chat`)
    await page.getByLabel('Profile').fill('local')
    await page.getByRole('button', {name: 'New thread'}).click()
    await page.waitForURL(/\/chat\/.+/)
    await page.getByLabel('Question').fill('What does the alpha file talk about?')
    await page.getByRole('button', {name: 'Ask'}).click()
    const answer = page.locator('.message.assistant[data-status="complete"]')
    await answer.waitFor({timeout: 60_000}).catch(async (error: unknown) => {
      await screenshot(page, 'chat-timeout')
      throw new Error(`no complete answer: ${await page.locator('.thread').textContent()}\nserver: ${served!.stderr().slice(-2000)}`, {cause: error})
    })
    await answer.locator('a.cite').first().waitFor()
    expect(await answer.locator('.sources li').count()).toBeGreaterThan(0)
    expect(await answer.locator('.sources').textContent()).toContain('alpha')
    await screenshot(page, 'chat')
    // The thread belongs to the identity the proxy asserted.
    const threads = await api('GET', '/chat/threads')
    expect(threads.threads[0].owner).toBe('alice')
  })

  it('logged no script errors and no failed requests', () => {
    expect(pageErrors).toEqual([])
  })
})
