import {Readability} from '@mozilla/readability'
import {parseHTML} from 'linkedom'
import {parse, serialize} from 'parse5'

export interface ExtractOptions {
  /** Keep only the main content (drop navigation, header/footer, sidebars, cookie banners). */
  mainContent: boolean
  /** Absolute URL the page came from; relative links and image sources are resolved against it. */
  baseUrl?: string
}

export interface ExtractedContent {
  /** HTML of the content to convert. */
  html: string
  title?: string
  description?: string
  lang?: string
  /** How the content was chosen: `main` (a `<main>`/`<article>` region), `readability`, or `body`. */
  method: 'main' | 'readability' | 'body'
}

/** Never content, whatever the mode. */
const NON_CONTENT = 'script, style, noscript, template, iframe, object, embed, svg, canvas, link, meta, base, dialog, '
  + 'input, button, select, textarea, [hidden], [aria-hidden="true"]'
/** Page furniture: dropped when extracting the main content. */
const BOILERPLATE = 'nav, footer, [role="navigation"], [role="banner"], [role="contentinfo"], [role="search"], '
  + '[role="complementary"]'
/** id/class words that mark page furniture (matched as whole words of the attribute). */
const BOILERPLATE_NAMES = /(?:^|[\s_-])(?:cookies?|consent|gdpr|cmp|sidebar|side-bar|navbar|nav|navigation|navheader|navfooter|nav-panel|menu|breadcrumbs?|skip-link|masthead|header|footer|site-header|pagination|pager|toc|share|social|related|advert|ads?|banner|newsletter)(?:$|[\s_-])/i
const MAIN_REGION = 'main, [role="main"]'
/** Elements a furniture class name never removes (`<th class="table-header">`, `<pre class="toc-example">`). */
const NEVER_FURNITURE = 'main, article, body, html, [role="main"], thead, tbody, tfoot, tr, th, td, caption, h1, h2, h3, h4, h5, h6, pre, code'
const H1_MARKER = 'data-factflow-h1'
const H1_RENAMED = /<h2(\s[^>]*data-factflow-h1[^>]*)>([\s\S]*?)<\/h2>/g

type Doc = ReturnType<typeof parseHTML>['document']
type El = ReturnType<Doc['createElement']>

function collapse(text: string | null | undefined): string | undefined {
  const value = text?.replace(/\s+/g, ' ').trim()
  return value ? value : undefined
}

function metaContent(document: Doc, selector: string): string | undefined {
  return collapse(document.querySelector(selector)?.getAttribute('content'))
}

function textLength(element: El | null | undefined): number {
  return element?.textContent?.replace(/\s+/g, '').length ?? 0
}

/** Keeps headers that carry the page's heading (an article's title block); drops the rest. */
function removeBoilerplate(root: El): void {
  for (const element of [...root.querySelectorAll(BOILERPLATE)]) element.remove()
  for (const element of [...root.querySelectorAll('header')]) {
    if (!element.querySelector('h1, h2')) element.remove()
  }
  for (const element of [...root.querySelectorAll('aside')]) {
    if (!element.closest('main, article, [role="main"]')) element.remove()
  }
  for (const element of [...root.querySelectorAll('[id], [class]')]) {
    if (!element.isConnected) continue
    const names = `${element.getAttribute('id') ?? ''} ${element.getAttribute('class') ?? ''}`
    if (!BOILERPLATE_NAMES.test(names)) continue
    // A region holding the page heading or the main region is content, whatever its class says.
    if (element.matches(NEVER_FURNITURE) || element.querySelector('h1, main, article, [role="main"]')) continue
    element.remove()
  }
}

function resolveUrls(root: El, base: string | undefined): void {
  if (!base) return
  const resolve = (element: El, attribute: string) => {
    const value = element.getAttribute(attribute)?.trim()
    if (!value || value.startsWith('#')) return
    if (/^javascript:/i.test(value)) {
      element.removeAttribute(attribute)
      return
    }
    try {
      element.setAttribute(attribute, new URL(value, base).href)
    } catch {
      // Not a URL any browser would follow either: leave it as written.
    }
  }
  for (const element of root.querySelectorAll('a[href]')) resolve(element, 'href')
  for (const element of root.querySelectorAll('img[src]')) resolve(element, 'src')
}

/** GFM table cells hold inline content only: turn block content inside cells into inline forms. */
function flattenTableCells(root: El, document: Doc): void {
  for (const cell of root.querySelectorAll('td, th')) {
    for (const list of [...cell.querySelectorAll('ul, ol')]) {
      const items = [...list.querySelectorAll('li')].map((item) => collapse(item.textContent)).filter(Boolean)
      list.replaceWith(document.createTextNode(items.join('; ')))
    }
    for (const block of [...cell.querySelectorAll('h1, h2, h3, h4, h5, h6')]) {
      const strong = document.createElement('strong')
      strong.textContent = collapse(block.textContent) ?? ''
      block.replaceWith(strong)
    }
    for (const pre of [...cell.querySelectorAll('pre')]) {
      const code = document.createElement('code')
      code.textContent = collapse(pre.textContent) ?? ''
      pre.replaceWith(code)
    }
    for (const element of [...cell.querySelectorAll('hr')]) element.remove()
    for (const quote of [...cell.querySelectorAll('blockquote')]) {
      const span = document.createElement('span')
      span.textContent = collapse(quote.textContent) ?? ''
      quote.replaceWith(span)
    }
  }
}

function firstHeading(root: El): {level: number; text: string} | undefined {
  const heading = root.querySelector('h1') ?? root.querySelector('h2, h3')
  const text = collapse(heading?.textContent)
  return heading && text ? {level: Number(heading.tagName.slice(1)), text} : undefined
}

/**
 * A DOM of the page as a browser would build it. parse5 runs the HTML5 tree construction rules
 * (implied and mis-nested tags, lower-cased names, fragments get html/head/body); linkedom then
 * gives a fast DOM over the normalised markup for Readability and the clean-up. Why not linkedom
 * alone: its lenient parser keeps attribute names as written (`HREF`, `CLASS`), so legacy pages
 * would lose their links and classes; why not jsdom: it is ~10× slower on large pages here.
 */
function parseDocument(html: string): Doc {
  return parseHTML(serialize(parse(html))).document
}

const BLOCK_IN_HEADING = 'p, ul, ol, dl, div, table, pre, blockquote, section, article, figure, h1, h2, h3, h4, h5, h6'

/** An unclosed heading swallows what follows (`<h2>Title<ul>…`): move the swallowed blocks after it. */
function repairHeadings(root: El): void {
  for (const heading of [...root.querySelectorAll('h1, h2, h3, h4, h5, h6')]) {
    if (!heading.isConnected) continue
    const first = [...heading.children].find((child) => child.matches(BLOCK_IN_HEADING))
    if (!first || !heading.parentNode) continue
    const moved = []
    for (let node: typeof first.nextSibling = first; node; node = node.nextSibling) moved.push(node)
    const anchor = heading.nextSibling
    for (const node of moved) heading.parentNode.insertBefore(node, anchor)
  }
}

/**
 * Parses a page (linkedom), reads its title, description and language, and picks the HTML to
 * convert. With `mainContent`: page furniture is removed first (nav, footers, sidebars, cookie
 * banners, headers without the page heading), then an explicit `<main>`/`role="main"` region or a
 * single `<article>` is taken as the author's own statement of the content; without one, Mozilla
 * Readability finds it; when Readability finds nothing the cleaned body is used. Readability
 * drops a heading that repeats the page title, so that heading is put back.
 */
export function extractContent(html: string, options: ExtractOptions): ExtractedContent {
  const document = parseDocument(html)
  const head = {
    title: metaContent(document, 'meta[property="og:title"]') ?? collapse(document.querySelector('title')?.textContent),
    description: metaContent(document, 'meta[name="description" i]') ?? metaContent(document, 'meta[property="og:description"]'),
    lang: collapse(document.documentElement?.getAttribute('lang') ?? document.body?.getAttribute('lang'))
      ?? metaContent(document, 'meta[http-equiv="content-language" i]'),
  }
  const declaredBase = document.querySelector('base[href]')?.getAttribute('href') ?? undefined
  let base = options.baseUrl
  try {
    if (declaredBase) base = new URL(declaredBase, options.baseUrl).href
  } catch {
    // An unusable <base>: keep the page URL.
  }

  const body = document.body
  if (!body) return {html: '', ...head, method: 'body'}
  for (const element of [...document.querySelectorAll(NON_CONTENT)]) element.remove()
  repairHeadings(body)
  resolveUrls(body, base)
  flattenTableCells(body, document)
  const heading = firstHeading(body)
  const title = head.title ?? heading?.text
  if (!options.mainContent) return {html: body.innerHTML, ...head, title, method: 'body'}

  removeBoilerplate(body)
  const articles = body.querySelectorAll('article')
  const region = body.querySelector(MAIN_REGION) ?? (articles.length === 1 ? articles[0] : null)
  if (region && textLength(region) > 0) return {html: region.innerHTML, ...head, title, method: 'main'}

  const cleanedBody = body.innerHTML
  // Readability renames every h1 to h2; a marker attribute (it keeps attributes) lets us undo that.
  for (const h1 of body.querySelectorAll('h1')) h1.setAttribute(H1_MARKER, '')
  const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], {keepClasses: true, charThreshold: 200}).parse()
  const content = article?.content
  if (!content || !collapse(article.textContent)) return {html: cleanedBody, ...head, title, method: 'body'}
  let result = content.replace(H1_RENAMED, '<h1$1>$2</h1>')
  if (heading && !headingSurvived(content, heading.text)) result = `<h${heading.level}>${escapeHtml(heading.text)}</h${heading.level}>${content}`
  return {html: result, ...head, title, lang: head.lang ?? collapse(article.lang), method: 'readability'}
}

function headingSurvived(html: string, text: string): boolean {
  const document = parseDocument(html)
  return [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].some((element) => collapse(element.textContent) === text)
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
