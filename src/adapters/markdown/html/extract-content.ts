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
/** A superset of FURNITURE_NAMES over a whole start tag's attributes (values start after a quote or `=`). */
const FURNITURE_IN_TAG = /(?:^|[\s_"'=-])(?:cookies?|consent|gdpr|cmp|sidebar|side-bar|navbar|nav|navigation|navheader|navfooter|nav-panel|menu|breadcrumbs?|skip-link|masthead|header|footer|site-header|pagination|pager|toc|share|social|related|advert|ads?|banner|newsletter)(?:$|[\s_"'-])/i
/** Elements a furniture class name never removes (`<th class="table-header">`, `<pre class="toc-example">`). */
const NEVER_FURNITURE = new Set(['main', 'article', 'body', 'html', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'code'])
/** Blocks that end an unclosed heading (`<h2>Title<ul>…` reads as a heading followed by a list). */
const BLOCK_IN_HEADING = new Set(['p', 'ul', 'ol', 'dl', 'div', 'table', 'pre', 'blockquote', 'section', 'article', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
const CELL_BLOCKS = new Set(['p', 'div', 'pre', 'li', 'dd', 'dt', 'blockquote'])
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'keygen'])
/** mdream renders definition lists as raw HTML (links inside them too): they read as blocks instead. */
const RENAMED: Record<string, string> = {dl: 'div', dt: 'div', dd: 'div'}
/**
 * The name a list item holding paragraphs gets, so that the converter writes it as an item of a
 * loose list (a blank line before it, see `markdown-converter.ts`): mdream writes every list tight.
 */
export const LOOSE_ITEM = 'loose-li'
/** Where a paragraph stops looking for the list item it belongs to. */
const ITEM_BOUNDARY = new Set(['li', 'ul', 'ol', 'table', 'td', 'th'])

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
  /** The start tag's attribute source, parsed on first use (see `attr`): most tags are never asked. */
  raw: string
  attributes?: Map<string, string>
  /** A main, article or role=main element itself, and inside one (an aside there is content). */
  mainish: boolean
  inMain: boolean
  hasH1: boolean
  hasH1OrH2: boolean
  hasMain: boolean
  /** A list item with a paragraph of its own (not in a nested list): an item of a loose list. */
  loose?: boolean
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

function countCell(table: Table, name: string, at: number, rawAttributes: string): void {
  if (name === 'thead') table.header = true
  else if (name === 'tr' && ++table.rows === 1) table.firstRow = at
  else if (name === 'th' && table.rows <= 1) table.header = true
  else if (name === 'td' && table.rows <= 1) {
    table.firstRow ??= at
    const span = rawAttributes.includes('colspan') ? Number.parseInt(attributesOf(rawAttributes).get('colspan') ?? '1', 10) : 1
    table.cells += Math.max(1, Math.min(50, span || 1))
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

function attr(element: Open, name: string): string | undefined {
  if (!element.raw.includes('=')) return undefined
  element.attributes ??= attributesOf(element.raw)
  return element.attributes.get(name)
}

const role = (element: Open) => (element.raw.includes('role') ? attr(element, 'role') : undefined)
const isHeading = (name: string) => name.length === 2 && name[0] === 'h' && name[1] >= '1' && name[1] <= '6'

function isFurniture(element: Open): boolean {
  const {name} = element
  if (FURNITURE_TAGS.has(name) || FURNITURE_ROLES.has(role(element) ?? '')) return true
  if (name === 'header') return !element.hasH1OrH2
  if (name === 'aside') return !element.inMain
  // The raw attributes hold every furniture word the id and class hold: most tags stop here.
  if (NEVER_FURNITURE.has(name) || !FURNITURE_IN_TAG.test(element.raw) || role(element) === 'main') return false
  const names = `${attr(element, 'id') ?? ''} ${attr(element, 'class') ?? ''}`
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
  // Open headings and table cells, so that most tags need no walk up the stack.
  let openHeadings = 0
  let openCells = 0
  const close = (element: Open, innerEnd: number, end: number) => {
    const parent = stack.at(-1)
    if (parent) {
      parent.hasH1 ||= element.hasH1 || element.name === 'h1'
      parent.hasH1OrH2 ||= element.hasH1OrH2 || element.name === 'h1' || element.name === 'h2'
      parent.hasMain ||= element.hasMain || element.mainish
    }
    const {name} = element
    if (isHeading(name)) openHeadings--
    else if (name === 'td' || name === 'th') openCells--
    const done = () => ({name, start: element.start, innerStart: element.innerStart, innerEnd, end})
    if (name === 'table') endTable(tables.pop(), result.edits)
    // Only an item closed by its own end tag is renamed: a renamed start tag needs a matching end.
    else if (element.loose && end > innerEnd) {
      result.edits.push({start: element.start, end: element.start + 3, text: `<${LOOSE_ITEM}`}, {start: innerEnd, end: innerEnd + 4, text: `</${LOOSE_ITEM}`})
    } else if (name === 'body') result.body = done()
    else if (name === 'article') result.articles.push(done())
    else if (isHeading(name)) result.headings.push({...done(), level: Number(name[1])})
    if (element.mainish && name !== 'article' && (!result.main || element.start < result.main.start)) result.main = done()
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
      // mdream joins the blocks of a table cell without a space (`a.`+`b` reads `a.b`): a line break
      // between them becomes a space when the cell is flattened.
      else if (openCells > 0 && CELL_BLOCKS.has(name)) {
        result.edits.push({start: end, end, text: '<br>'})
      }
      continue
    }
    if (name === 'html') result.htmlAttributes ??= attributesOf(rawAttributes)
    else if (name === 'body') result.bodyAttributes ??= attributesOf(rawAttributes)
    else if (name === 'meta') result.head.metas.push(attributesOf(rawAttributes))
    else if (name === 'base' && result.head.base === undefined) result.head.base = attributesOf(rawAttributes).get('href')
    if (openHeadings > 0 && BLOCK_IN_HEADING.has(name)) {
      const heading = stack.findLastIndex((element) => isHeading(element.name))
      if (heading >= 0) {
        const open = stack[heading]
        while (stack.length > heading + 1) close(stack.pop()!, at, at)
        close(stack.pop()!, at, at)
        result.edits.push({start: at, end: at, text: `</${open.name}>`})
      }
    }
    if (RENAMED[name]) result.edits.push({start: at, end: at + 1 + name.length, text: `<${RENAMED[name]}`})
    // A list whose items hold paragraphs is a loose list (CommonMark): blank lines between its items
    // also let the segmenter cut between items. Lists in table cells are flattened: never loose.
    else if (name === 'p' && openCells === 0 && stack.length > 0) {
      for (let i = stack.length - 1; i >= 0; i--) {
        if (!ITEM_BOUNDARY.has(stack[i].name)) continue
        if (stack[i].name === 'li') stack[i].loose = true
        break
      }
    }
    if (name === 'table') tables.push({rows: 0, cells: 0, header: false})
    else if (tables.length > 0 && name[0] === 't') countCell(tables[tables.length - 1], name, at, rawAttributes)
    if (VOID.has(name) || rawAttributes.endsWith('/')) continue
    const parent = stack.at(-1)
    const open: Open = {
      name, start: at, innerStart: end, raw: rawAttributes, mainish: false,
      inMain: parent !== undefined && (parent.inMain || parent.mainish), hasH1: false, hasH1OrH2: false, hasMain: false,
    }
    open.mainish = name === 'main' || name === 'article' || role(open) === 'main'
    if (isHeading(name)) openHeadings++
    else if (name === 'td' || name === 'th') openCells++
    stack.push(open)
  }
  while (stack.length > 0) close(stack.pop()!, html.length, html.length)
  return result
}

/** `html[from, to)` with the edits inside it applied; an edit inside a cut range goes with it. */
function applyEdits(html: string, edits: Edit[], from: number, to: number): string {
  const sorted = edits.filter((edit) => edit.start >= from && edit.end <= to)
    .sort((a, b) => a.start - b.start || b.end - a.end)
  // Joined once: a string grown edit by edit is a deep rope that the next reader must flatten.
  const parts: string[] = []
  let at = from
  for (const edit of sorted) {
    if (edit.start < at) continue
    parts.push(html.slice(at, edit.start), edit.text)
    at = edit.end
  }
  parts.push(html.slice(at, to))
  return parts.join('')
}

const TAG = /<[^>]*>/g

/** Decodes character references with mdream's own decoder (a plain-text rendering of the text). */
function decodeText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const decoded = text.includes('&') ? htmlToMarkdown(`<p>${text.replace(/</g, '&lt;')}</p>`, {format: 'text'}) : text
  const value = decoded.replace(/\s+/g, ' ').trim()
  return value ? value : undefined
}

/** Whether any text sits outside the tags (a scan that stops at the first). */
function hasText(html: string): boolean {
  for (let at = 0; at < html.length;) {
    const c = html.charCodeAt(at)
    if (c === 60) {
      const end = html.indexOf('>', at)
      if (end < 0) return false
      at = end + 1
    } else if (c === 32 || (c >= 9 && c <= 13)) {
      at++
    } else {
      return true
    }
  }
  return false
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
