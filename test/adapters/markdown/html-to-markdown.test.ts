import {createHash} from 'node:crypto'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createAdapter, type HtmlToMarkdownConfig} from '../../../src/adapters/markdown/html-to-markdown.js'
import type {AdapterOutput} from '../../../src/adapters/types.js'
import {UserInputError} from '../../../src/errors/index.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, readFixture, resourcesFor, type ContextOptions} from './context.js'

const DEFAULTS: HtmlToMarkdownConfig = {main_content: true, preserve_links: true, preserve_images: false}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('html_to_markdown', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  const convert = async (payload: Record<string, unknown>, config: Partial<HtmlToMarkdownConfig> = {}, options?: ContextOptions) =>
    (await createAdapter({...DEFAULTS, ...config}, resourcesFor(storage)).process(contextFor(storage, payload, options))) as AdapterOutput
  const markdownOf = async (fixture: string, config: Partial<HtmlToMarkdownConfig> = {}) =>
    (await convert({html: await readFixture(fixture), url: 'https://docs.example.org/guide/pipelines.html'}, config)).payload.markdown as string
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

  beforeEach(async () => {
    ({storage, remove} = await createScratchStorage())
  })
  afterEach(async () => {
    await remove()
  })

  describe('main content', () => {
    it('drops navigation, header, sidebar, footer, cookie banner, scripts and styles of a docs page', async () => {
      const markdown = await markdownOf('docs-page.html')
      for (const furniture of ['Pricing', 'Community', 'Accept all cookies', 'cookie policy', 'Quickstart', 'Storage backends](', '© 2026', 'Privacy', 'dataLayer', 'font-family', 'search.js']) {
        expect(markdown, furniture).not.toContain(furniture)
      }
      expect(markdown.startsWith('# Configuring Pipelines\n\nA **pipeline** is a YAML file')).toBe(true)
    })

    it('keeps the heading outline of the page', async () => {
      const markdown = await markdownOf('docs-page.html')
      const headings = markdown.split('\n').filter((line) => line.startsWith('#'))
      expect(headings).toEqual(['# Configuring Pipelines', '## Routes', '### Route fields', '### Conditions', '## Running a pipeline', '## Next steps'])
    })

    it('starts the content at the page heading on a page without main or article', async () => {
      const markdown = await markdownOf('bad-markup.html')
      expect(markdown.startsWith('# Release Notes & Errata\n')).toBe(true)
      expect(markdown).not.toContain('Download')
    })

    it('drops the sidebar, navbar, consent banner and footer of a long handbook page', async () => {
      const markdown = await markdownOf('handbook.html')
      for (const furniture of ['Contents', 'stores cookies', 'Last built from revision', '[Handbook](']) expect(markdown, furniture).not.toContain(furniture)
      expect(markdown).toContain('## Appendix')
      expect(markdown).toContain('| `factflow_webhook_deliveries_total` | counter |')
    })

    it('keeps the whole body apart from scripts and styles when main_content is false', async () => {
      const markdown = await markdownOf('docs-page.html', {main_content: false})
      expect(markdown).toContain('[Pricing](https://docs.example.org/pricing/)')
      expect(markdown).toContain('Licensed under Apache-2.0')
      expect(markdown).not.toContain('dataLayer')
      expect(markdown).not.toContain('font-family')
    })

    it('accepts an HTML fragment without html or body', async () => {
      const {payload} = await convert({html: '<h2>Fragment</h2><p>Just <em>this</em>.</p>'})
      expect(payload.markdown).toBe('## Fragment\n\nJust *this*.')
    })
  })

  describe('GitHub-flavoured markdown', () => {
    it('turns a data table into a GFM table with a delimiter row', async () => {
      const markdown = await markdownOf('docs-page.html')
      expect(markdown).toContain([
        '| Field | Type | Default | Meaning |',
        '| --- | --- | --- | --- |',
        '| `inbound.queue` | string | — | Queue the route consumes |',
      ].join('\n'))
    })

    it('gives a headerless table an empty header, escapes pipes and flattens lists inside cells', async () => {
      const markdown = await markdownOf('tables.html')
      expect(markdown).toContain('|  | |\n| --- | --- |\n| retries | 7 |\n| backoff | exponential with jitter |')
      expect(markdown).toContain('| or | `a \\| b` | pipes inside cells are escaped |')
      expect(markdown).toContain('| lists | several values | first value; second value |')
      expect(markdown).not.toMatch(/<\/?(table|ul|li|div)/)
      expect(markdown).not.toContain('docs@example.org')
    })

    it('fences code blocks and keeps their language from language-, lang-, highlight- and Sphinx classes', async () => {
      const markdown = await markdownOf('code-samples.html')
      const fences = markdown.split('\n').filter((line) => /^`{3,}[a-z]+$/.test(line))
      // '```js' is the fence inside the markdown sample, which is code itself.
      expect(fences).toEqual(['```python', '```go', '```rust', '```console', '````markdown', '```js', '```json'])
      expect(markdown).toContain([
        '```python',
        'def count_lines(path: str) -> int:',
        '    with open(path, encoding="utf-8") as handle:',
        '        return sum(1 for _ in handle)',
        '',
        '',
        'if __name__ == "__main__":',
        '    print(count_lines("README.md"))',
        '```',
      ].join('\n'))
      expect(markdown).toContain('```go\npackage main\n\nimport (\n\t"bufio"')
      expect(markdown).toContain('```console\n$ wc -l README.md\n42 README.md\n```')
      expect(markdown).toContain('```\nplain preformatted text\n    keeps   its   spacing\n```')
    })

    it('writes a list whose items hold paragraphs as a loose list and keeps other lists tight', async () => {
      const html = [
        '<html><body><main><h1>Plans</h1>',
        '<ul><li><p>Estimated start-up cost.</p></li><li><p>Estimated total cost.</p><p>Second paragraph.</p></li>',
        '<li>Bare item<ul><li>nested one</li><li>nested two</li></ul></li></ul>',
        '<ol><li>first</li><li>second</li></ol>',
        '<table><tr><td><ul><li><p>in a cell</p></li><li><p>also</p></li></ul></td><td>x</td></tr></table>',
        '</main></body></html>',
      ].join('')
      const markdown = (await convert({html, url: 'https://docs.example.org/plans.html'})).payload.markdown as string
      expect(markdown).toContain('- Estimated start-up cost.\n\n- Estimated total cost.\n\n  Second paragraph.\n- Bare item\n  - nested one\n  - nested two')
      expect(markdown).toContain('1. first\n2. second')
      expect(markdown).toContain('| in a cell; also | x |')
      expect(markdown).not.toContain('loose-li')
    })

    it('uses a longer fence around code that itself contains a fence', async () => {
      const markdown = await markdownOf('code-samples.html')
      expect(markdown).toContain("````markdown\n# Title\n\n```js\nconsole.log('nested fence')\n```\n````")
    })

    it('keeps inline code inline and drops the breadcrumbs and footer', async () => {
      const markdown = await markdownOf('code-samples.html')
      expect(markdown).toContain('Inline code such as `wc -l` stays inline.')
      expect(markdown).not.toContain('Guides')
      expect(markdown).not.toContain('static site generator')
    })

    it('fences a bare <pre> and repairs a heading that swallowed the following list', async () => {
      const markdown = await markdownOf('bad-markup.html')
      expect(markdown).toContain('## Known problems\n\n- The installer hangs on `--prefix=/opt`\n- Umlauts in paths: `/home/jürgen/übung`')
      expect(markdown).toContain('```\n$ sh ./install.sh --prefix=/opt/tool\nchecking for cc... gcc\nconfigure: creating Makefile\n```')
      expect(markdown).toContain('| 1.1 | 2003-09-15 | current \\| stable |')
      expect(markdown).toContain('entities like \\<tag>, © and € appear')
      expect(markdown).not.toContain('tracking pixel')
      expect(markdown).not.toContain('a comment that must not show up')
    })
  })

  describe('links and images', () => {
    it('keeps links, resolved against the page URL, and drops images by default', async () => {
      const markdown = await markdownOf('docs-page.html')
      expect(markdown).toContain('See the [adapter catalog](https://docs.example.org/docs/adapters/) for every built-in adapter.')
      expect(markdown).not.toContain('pipeline.png')
    })

    it('keeps images when preserve_images is true', async () => {
      expect(await markdownOf('docs-page.html', {preserve_images: true})).toContain('![Pipeline diagram](https://docs.example.org/img/pipeline.png)')
    })

    it('keeps only the text of links when preserve_links is false', async () => {
      const markdown = await markdownOf('docs-page.html', {preserve_links: false})
      expect(markdown).toContain('See the adapter catalog for every built-in adapter.')
      expect(markdown).not.toContain('](')
    })

    it('resolves links against a <base href> and leaves in-page anchors alone', async () => {
      const {payload} = await convert({
        html: '<html><head><base href="https://cdn.example.org/v2/"></head><body><p><a href="a.html">A</a> <a href="#top">top</a> <a href="javascript:void(0)">js</a></p></body></html>',
        url: 'https://example.org/page',
      })
      expect(payload.markdown).toBe('[A](https://cdn.example.org/v2/a.html) [top](#top) js')
    })
  })

  describe('output', () => {
    it('emits title, front matter, content hash and the provenance of the input', async () => {
      const html = await readFixture('docs-page.html')
      const {payload, metadata} = await convert({
        html, url: 'https://docs.example.org/p', final_url: 'https://docs.example.org/p/', status: 200, headers: {a: 'b'},
        document_id: 'doc-1', content_hash: 'abc',
      })
      expect(payload).toEqual({
        url: 'https://docs.example.org/p', final_url: 'https://docs.example.org/p/', document_id: 'doc-1',
        title: 'Configuring Pipelines — Factflow Docs',
        front_matter: {
          title: 'Configuring Pipelines — Factflow Docs', url: 'https://docs.example.org/p/',
          description: 'How to configure routes, queues and adapters in a factflow pipeline file.', lang: 'en',
        },
        content_type: 'text/markdown', markdown: expect.any(String), content_hash: sha256(payload.markdown as string),
        source_content_hash: 'abc',
      })
      expect(metadata).toEqual({title: 'Configuring Pipelines — Factflow Docs'})
    })

    it('reads the page a storage_retriever put into content and drops that body from the output', async () => {
      const html = await readFixture('tables.html')
      const {payload} = await convert(
        {storage_key: 'executions/e/r/s/m.html', content: html, content_type: 'text/html', path: '/srv/docs/tables.html'},
        {}, {metadata: {document_id: 'doc-from-metadata'}},
      )
      expect(payload).toMatchObject({storage_key: 'executions/e/r/s/m.html', path: '/srv/docs/tables.html', document_id: 'doc-from-metadata', title: 'Storage backends compared'})
      expect(payload.content).toBeUndefined()
      expect(payload.front_matter).toEqual({title: 'Storage backends compared', description: 'Which storage backend to pick for factflow artefacts.', lang: 'en'})
    })

    it('reads the page from storage_key in the charset its content type or meta tag declares', async () => {
      await storage.put('pages/latin1.html', Buffer.from('<html><body><h1>Caf\xe9</h1><p>Cr\xe8me br\xfbl\xe9e.</p></body></html>', 'latin1'), {content_type: 'text/html; charset=ISO-8859-1'})
      await storage.put('pages/cp1252.html', Buffer.from('<html><head><meta charset="windows-1252"></head><body><h1>\x93Quoted\x94</h1></body></html>', 'latin1'), {content_type: 'text/html'})
      expect((await convert({storage_key: 'pages/latin1.html'})).payload.markdown).toBe('# Café\n\nCrème brûlée.')
      expect((await convert({storage_key: 'pages/cp1252.html'})).payload.markdown).toBe('# “Quoted”')
    })

    it('writes large markdown to storage and emits markdown_storage_key instead of inline markdown', async () => {
      const paragraphs = Array.from({length: 900}, (_, i) => `<p>Paragraph ${i} explains one more detail of the storage layout and why keys are derived from messages.</p>`)
      const html = `<html><head><title>Big page</title></head><body><main><h1>Big</h1>${paragraphs.join('')}</main></body></html>`
      const {payload, metadata} = await convert({html, url: 'https://example.org/big', document_id: 'big-1'}, {}, {metadata: {storage_keys: ['earlier/key.html']}})
      expect(payload.markdown).toBeUndefined()
      expect(payload.markdown_storage_key).toBe('executions/exec-1/docs/markdown/msg-2.md')
      const stored = await storage.get(payload.markdown_storage_key as string)
      const markdown = stored.body.toString('utf8')
      expect(Buffer.byteLength(markdown)).toBeGreaterThan(64 * 1024)
      expect(markdown.startsWith('# Big\n\nParagraph 0 explains')).toBe(true)
      expect(payload.content_hash).toBe(sha256(markdown))
      expect(stored.metadata).toMatchObject({content_type: 'text/markdown; charset=utf-8', title: 'Big page', source_url: 'https://example.org/big', document_id: 'big-1', stage: 'markdown', execution_id: 'exec-1'})
      expect(metadata).toEqual({title: 'Big page', storage_keys: ['earlier/key.html', 'executions/exec-1/docs/markdown/msg-2.md']})
      expect(JSON.stringify(payload).length).toBeLessThan(2048)
    })
  })

  describe('errors', () => {
    it.each([
      ['empty input', {html: '  \n '}, 'INPUT_EMPTY'],
      ['plain text', {html: 'just words, 3 < 4 and nothing else'}, 'INPUT_NOT_HTML'],
      ['a PDF', {content: '%PDF-1.7 <html>', content_type: 'application/pdf'}, 'INPUT_NOT_HTML'],
      ['binary bytes', {html: '<p>\u0000\u0001</p>'}, 'INPUT_NOT_HTML'],
      ['markdown', {content: '# Title', content_type: 'text/markdown'}, 'INPUT_NOT_HTML'],
      ['no input field', {url: 'https://example.org'}, 'PAYLOAD_FIELD_MISSING'],
      ['a page whose content is rendered by JavaScript', {html: '<html><body><div id="root"></div><script>render()</script></body></html>'}, 'HTML_NO_CONTENT'],
    ])('fails terminally with a code and a hint on %s', async (_name, payload, code) => {
      const error = await failure(convert(payload))
      expect(error).toBeInstanceOf(UserInputError)
      expect(error).toMatchObject({code, retryable: false, hint: expect.any(String)})
    })

    it('fails with ARTEFACT_MISSING when storage_key names nothing', async () => {
      await expect(convert({storage_key: 'gone.html'})).rejects.toMatchObject({code: 'ARTEFACT_MISSING', retryable: false})
    })

    it('stops when the execution is cancelled', async () => {
      const controller = new AbortController()
      controller.abort(new Error('cancelled'))
      await expect(convert({html: '<p>x</p>'}, {}, {signal: controller.signal})).rejects.toThrow('cancelled')
    })
  })
})
