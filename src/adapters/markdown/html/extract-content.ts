import {htmlToMarkdown} from 'mdream'

export interface ExtractOptions {
  /** Keep only the main content (drop navigation, header/footer, sidebars, cookie banners). */
  mainContent: boolean
  /** Absolute URL the page came from; relative links and image sources are resolved against it. */
  baseUrl?: string
}

export interface ExtractedContent {
  /** HTML of the content to convert (a slice of the page with page furniture cut out). */
  html: string
  /** The URL links and images resolve against: the page URL, or the page's `<base href>` resolved against it. */
  baseUrl?: string
  title?: string
  description?: string
  lang?: string
  /**
   * How the content was chosen: `main` (a `<main>`/`role="main"` region or a single `<article>`),
   * `heading` (no such region: from the page's first h1, else h2/h3, to the end), or `body`.
   */
  method: 'main' | 'heading' | 'body'
}

/** Page furniture by tag or role: cut when extracting the main content. */
const FURNITURE_TAGS = new Set(['nav', 'footer'])
const FURNITURE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'search', 'complementary'])
/** id/class words that mark page furniture (matched as whole words of the attribute). */
const FURNITURE_NAMES = /(?:^|[\s_-])(?:cookies?|consent|gdpr|cmp|sidebar|side-bar|navbar|nav|navigation|navheader|navfooter|nav-panel|menu|breadcrumbs?|skip-link|masthead|header|footer|site-header|pagination|pager|toc|share|social|related|advert|ads?|banner|newsletter)(?:$|[\s_-])/i
/** Elements a furniture class name never removes (`<th class="table-header">`, `<pre class="toc-example">`). */
const NEVER_FURNITURE = new Set(['main', 'article', 'body', 'html', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'code'])
/** Blocks that end an unclosed heading (`<h2>Title<ul>…` reads as a heading followed by a list). */
const BLOCK_IN_HEADING = new Set(['p', 'ul', 'ol', 'dl', 'div', 'table', 'pre', 'blockquote', 'section', 'article', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'keygen'])
/** mdream renders definition lists as raw HTML (links inside them too): they read as blocks instead. */
const RENAMED: Record<string, string> = {dl: 'div', dt: 'div', dd: 'div'}

/**
 * One token of the page: a comment, a raw-text element whole (its text is never markup), or a tag
 * (group 2 the slash of an end tag, 3 the name, 4 the attributes).
 */
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(script|style|noscript|template|textarea|title|xmp|iframe)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)|<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)([^>]*)>/gi
const ATTRIBUTE = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g

function attributesOf(source: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const match of source.matchAll(ATTRIBUTE)) {
    const name = match[1].toLowerCase()
    if (!attributes.has(name)) attributes.set(name, match[2] ?? match[3] ?? match[4] ?? '')
  }
  return attributes
}

interface Open {
  name: string
  /** Offset of `<` of the start tag, and just after its `>`. */
  start: number
  innerStart: number
  attributes: Map<string, string>
  /** Inside a main/article/role=main element (an aside there is content). */
  inMain: boolean
  hasH1: boolean
  hasH1OrH2: boolean
  hasMain: boolean
}

interface Element {
  name: string
  start: number
  innerStart: number
  innerEnd: number
  end: number
}

interface Edit {
  start: number
  end: number
  text: string
}

interface Scan {
  edits: Edit[]
  body?: Element
  /** First main/role=main region in document order, and every article. */
  main?: Element
  articles: Element[]
  headings: Array<Element & {level: number}>
  htmlAttributes?: Map<string, string>
  bodyAttributes?: Map<string, string>
  head: {title?: string; metas: Array<Map<string, string>>; base?: string}
}

/** What a table's first row holds, to give a headerless table an empty header row. */
interface Table {
  rows: number
  firstRow?: number
  cells: number
  header: boolean
}

function countCell(table: Table, name: string, at: number, attributes: Map<string, string>): void {
  if (name === 'thead') table.header = true
  else if (name === 'tr' && ++table.rows === 1) table.firstRow = at
  else if (name === 'th' && table.rows <= 1) table.header = true
  else if (name === 'td' && table.rows <= 1) {
    table.firstRow ??= at
    table.cells += Math.max(1, Math.min(50, Number.parseInt(attributes.get('colspan') ?? '1', 10) || 1))
  }
}

/**
 * mdream makes a headerless table's first data row its header; an empty header row keeps every
 * row a data row, as the page wrote it (GFM tables need a header row).
 */
function endTable(table: Table | undefined, edits: Edit[]): void {
  if (!table || table.header || table.cells === 0 || table.firstRow === undefined) return
  edits.push({start: table.firstRow, end: table.firstRow, text: `<thead><tr>${'<th></th>'.repeat(table.cells)}</tr></thead>`})
}

const isMainish = (name: string, attributes: Map<string, string>) => name === 'main' || name === 'article' || attributes.get('role') === 'main'

function isFurniture(element: Open): boolean {
  const {name, attributes} = element
  if (FURNITURE_TAGS.has(name) || FURNITURE_ROLES.has(attributes.get('role') ?? '')) return true
  if (name === 'header') return !element.hasH1OrH2
  if (name === 'aside') return !element.inMain
  if (NEVER_FURNITURE.has(name) || attributes.get('role') === 'main') return false
  const names = `${attributes.get('id') ?? ''} ${attributes.get('class') ?? ''}`
  // A region holding the page heading or the main region is content, whatever its class says.
  return FURNITURE_NAMES.test(names) && !element.hasH1 && !element.hasMain
}

/**
 * One pass over the tags (no DOM): records regions, headings and head fields, and the edits that
 * cut furniture (when `mainContent`), close headings left open before a block, and rename
 * definition lists. Nesting follows end tags: an end tag closes the innermost open element of its
 * name and everything opened inside it; an end tag without an open element is dropped.
 */
function scan(html: string, mainContent: boolean): Scan {
  const result: Scan = {edits: [], articles: [], headings: [], head: {metas: []}}
  const stack: Open[] = []
  const tables: Table[] = []
  const close = (element: Open, innerEnd: number, end: number) => {
    const parent = stack.at(-1)
    if (parent) {
      parent.hasH1 ||= element.hasH1 || element.name === 'h1'
      parent.hasH1OrH2 ||= element.hasH1OrH2 || element.name === 'h1' || element.name === 'h2'
      parent.hasMain ||= element.hasMain || isMainish(element.name, element.attributes)
    }
    const done = {name: element.name, start: element.start, innerStart: element.innerStart, innerEnd, end}
    if (element.name === 'table') endTable(tables.pop(), result.edits)
    if (element.name === 'body') result.body = done
    else if (element.name === 'article') result.articles.push(done)
    if (/^h[1-6]$/.test(element.name)) result.headings.push({...done, level: Number(element.name[1])})
    if ((element.name === 'main' || element.attributes.get('role') === 'main') && (!result.main || element.start < result.main.start)) result.main = done
    if (mainContent && isFurniture(element)) result.edits.push({start: element.start, end, text: ''})
  }

  for (const match of html.matchAll(TOKEN)) {
    const [token, rawText, slash, rawName, rawAttributes] = match
    const at = match.index
    if (rawText !== undefined) {
      if (rawText.toLowerCase() === 'title' && result.head.title === undefined) {
        result.head.title = token.slice(token.indexOf('>') + 1).replace(/<\/title\s*>$/i, '')
      }
      continue
    }
    if (rawName === undefined) continue
    const name = rawName.toLowerCase()
    const end = at + token.length
    if (slash) {
      const index = stack.findLastIndex((element) => element.name === name)
      if (index < 0) {
        if (name !== 'br' && name !== 'p') result.edits.push({start: at, end, text: ''})
        continue
      }
      while (stack.length > index + 1) {
        const inner = stack.pop()!
        close(inner, at, at)
      }
      close(stack.pop()!, at, end)
      if (RENAMED[name]) result.edits.push({start: at, end, text: `</${RENAMED[name]}>`})
      continue
    }
    const attributes = attributesOf(rawAttributes)
    if (name === 'html') result.htmlAttributes ??= attributes
    else if (name === 'body') result.bodyAttributes ??= attributes
    else if (name === 'meta') result.head.metas.push(attributes)
    else if (name === 'base' && result.head.base === undefined && attributes.has('href')) result.head.base = attributes.get('href')
    if (BLOCK_IN_HEADING.has(name)) {
      const heading = stack.findLastIndex((element) => /^h[1-6]$/.test(element.name))
      if (heading >= 0) {
        const open = stack[heading]
        while (stack.length > heading + 1) close(stack.pop()!, at, at)
        close(stack.pop()!, at, at)
        result.edits.push({start: at, end: at, text: `</${open.name}>`})
      }
    }
    if (RENAMED[name]) result.edits.push({start: at, end: at + 1 + name.length, text: `<${RENAMED[name]}`})
    if (name === 'table') tables.push({rows: 0, cells: 0, header: false})
    else if (tables.length > 0) countCell(tables[tables.length - 1], name, at, attributes)
    if (VOID.has(name) || rawAttributes.endsWith('/')) continue
    const inMain = stack.some((element) => isMainish(element.name, element.attributes))
    stack.push({name, start: at, innerStart: end, attributes, inMain, hasH1: false, hasH1OrH2: false, hasMain: false})
  }
  while (stack.length > 0) close(stack.pop()!, html.length, html.length)
  return result
}

/** `html[from, to)` with the edits inside it applied; an edit inside a cut range goes with it. */
function applyEdits(html: string, edits: Edit[], from: number, to: number): string {
  const sorted = edits.filter((edit) => edit.start >= from && edit.end <= to)
    .sort((a, b) => a.start - b.start || b.end - a.end)
  let out = ''
  let at = from
  for (const edit of sorted) {
    if (edit.start < at) continue
    out += html.slice(at, edit.start) + edit.text
    at = edit.end
  }
  return out + html.slice(at, to)
}

const TAG = /<[^>]*>/g

/** Decodes character references with mdream's own decoder (a plain-text rendering of the text). */
function decodeText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const decoded = text.includes('&') ? htmlToMarkdown(`<p>${text.replace(/</g, '&lt;')}</p>`, {format: 'text'}) : text
  const value = decoded.replace(/\s+/g, ' ').trim()
  return value ? value : undefined
}

function hasText(html: string): boolean {
  return /[^\s]/.test(html.replace(TAG, '').replace(/&nbsp;|&#160;/g, ''))
}

/**
 * Reads a page's title, description and language, and picks the HTML to convert, in one pass over
 * its tags (no DOM: the page is parsed once, by the converter). With `mainContent`: page furniture
 * is cut (nav, footers, landmark roles other than main, headers without an h1/h2, asides outside
 * the main region, and elements whose id/class names furniture unless they hold the page heading
 * or the main region); then an explicit `<main>`/`role="main"` region or a single `<article>` is
 * taken as the author's own statement of the content; without one, the content starts at the
 * page's first h1 (else h2/h3), where content pages put their title; without a heading, the
 * cleaned body is used.
 */
export function extractContent(html: string, options: ExtractOptions): ExtractedContent {
  const found = scan(html, options.mainContent)
  const meta = (key: string, value: string) => decodeText(found.head.metas.find((m) => m.get(key)?.toLowerCase() === value)?.get('content'))
  const title = meta('property', 'og:title') ?? decodeText(found.head.title)
  const description = meta('name', 'description') ?? meta('property', 'og:description')
  const lang = decodeText(found.htmlAttributes?.get('lang') ?? found.bodyAttributes?.get('lang')) ?? meta('http-equiv', 'content-language')
  let baseUrl = options.baseUrl
  try {
    if (found.head.base) baseUrl = new URL(found.head.base, options.baseUrl).href
  } catch {
    // An unusable <base>: keep the page URL.
  }
  const firstHeading = found.headings.filter((h) => h.level === 1).sort((a, b) => a.start - b.start)[0]
    ?? found.headings.filter((h) => h.level === 2 || h.level === 3).sort((a, b) => a.start - b.start)[0]
  const head = {baseUrl, title: title ?? decodeText(firstHeading && html.slice(firstHeading.innerStart, firstHeading.innerEnd).replace(TAG, '')), description, lang}

  const body = found.body ?? {start: 0, innerStart: 0, innerEnd: html.length, end: html.length}
  const bodyHtml = () => applyEdits(html, found.edits, body.innerStart, body.innerEnd)
  if (!options.mainContent) return {html: bodyHtml(), ...head, method: 'body'}

  const cut = (start: number, end: number) => found.edits.some((edit) => edit.text === '' && edit.start <= start && edit.end >= end && edit.end > edit.start)
  const region = found.main ?? (found.articles.length === 1 ? found.articles[0] : undefined)
  if (region && !cut(region.start, region.end)) {
    const content = applyEdits(html, found.edits, region.innerStart, region.innerEnd)
    if (hasText(content)) return {html: content, ...head, method: 'main'}
  }
  const visible = found.headings.filter((heading) => heading.start >= body.innerStart && !cut(heading.start, heading.end))
  const start = visible.filter((h) => h.level === 1).sort((a, b) => a.start - b.start)[0]
    ?? visible.filter((h) => h.level === 2 || h.level === 3).sort((a, b) => a.start - b.start)[0]
  if (start) {
    const content = applyEdits(html, found.edits, start.start, body.innerEnd)
    if (hasText(content)) return {html: content, ...head, method: 'heading'}
  }
  return {html: bodyHtml(), ...head, method: 'body'}
}
