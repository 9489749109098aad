import {strikethrough, tables, taskListItems} from '@joplin/turndown-plugin-gfm'
import TurndownService from 'turndown'

export interface MarkdownConverterOptions {
  /** Keep hyperlinks; otherwise only their text. */
  preserveLinks: boolean
  /** Keep images as `![alt](src)`; otherwise drop them. */
  preserveImages: boolean
}

/** The DOM surface the rules use (turndown hands them domino elements). */
interface TurndownNode {
  nodeName: string
  textContent: string | null
  parentNode: TurndownNode | null
  firstElementChild: TurndownNode | null
  children: ArrayLike<TurndownNode>
  nextSibling: unknown
  getAttribute(name: string): string | null
  querySelector(selector: string): TurndownNode | null
}

const asNode = (node: unknown) => node as TurndownNode

const LANGUAGE_CLASS = [
  /(?:^|\s)(?:language|lang)-([\w+#.-]+)/i,
  /(?:^|\s)highlight-(?:source-|text-)?([\w+#-]+)/i,
  /(?:^|\s)brush:\s*([\w+#-]+)/i,
]
/** Class words that name a highlighter, not a language. */
const NOT_A_LANGUAGE = new Set(['none', 'plaintext', 'text', 'default', 'notranslate'])

function languageOf(element: TurndownNode | null | undefined): string | undefined {
  if (!element || typeof element.getAttribute !== 'function') return undefined
  const declared = element.getAttribute('data-lang') ?? element.getAttribute('data-language')
  if (declared && /^[\w+#.-]+$/.test(declared)) return declared.toLowerCase()
  const classes = element.getAttribute('class') ?? ''
  for (const pattern of LANGUAGE_CLASS) {
    const match = pattern.exec(classes)
    if (match && !NOT_A_LANGUAGE.has(match[1].toLowerCase())) return match[1].toLowerCase()
  }
  return undefined
}

/** The language of a `<pre>`: from its `<code>`, itself, or up to two wrapping elements (Sphinx, GitHub). */
function codeLanguage(pre: TurndownNode): string {
  const code = pre.firstElementChild?.nodeName === 'CODE' ? pre.firstElementChild : undefined
  return languageOf(code) ?? languageOf(pre) ?? languageOf(pre.parentNode) ?? languageOf(pre.parentNode?.parentNode) ?? ''
}

function longestRun(text: string, char: string): number {
  let longest = 0
  let current = 0
  for (const c of text) {
    current = c === char ? current + 1 : 0
    if (current > longest) longest = current
  }
  return longest
}

/** An inline code span whose delimiter is longer than any backtick run inside it. */
function inlineCode(text: string): string {
  if (text === '') return ''
  const ticks = '`'.repeat(longestRun(text, '`') + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${text}${pad}${ticks}`
}

/** Drops the spaces of blank lines and runs of blank lines outside fenced code. */
export function tidyMarkdown(markdown: string): string {
  const lines = markdown.split('\n')
  const out: string[] = []
  let fence: string | undefined
  let blank = 0
  for (const line of lines) {
    const marker = /^[ \t]*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence) {
      out.push(line)
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined
      continue
    }
    if (marker) fence = marker
    if (line.trim() === '') {
      if (++blank > 1 || out.length === 0) continue
      out.push('')
      continue
    }
    // Consecutive rules (empty sections between them were dropped) read as one.
    if (line === '---' && (out.length === 0 || out[out.length - 1] === '---' || (out[out.length - 1] === '' && out[out.length - 2] === '---'))) continue
    blank = 0
    out.push(line.trimEnd() === line ? line : line.replace(/[ \t]+$/, (spaces) => (spaces.length >= 2 && !marker ? '  ' : '')))
  }
  return out.join('\n').trim()
}

/**
 * An HTML → GitHub-flavoured markdown converter: turndown with the GFM table, strikethrough and
 * task-list rules of @joplin/turndown-plugin-gfm, ATX headings, `-` bullets, and its own rule for
 * `<pre>`: every preformatted block becomes a fenced block (turndown only fences `<pre><code>`),
 * with the language read from `language-x`/`lang-x`, `highlight-x`/`highlight-source-x`,
 * `brush: x` or `data-lang`, and a fence longer than any backtick run inside the code.
 */
export function createMarkdownConverter(options: MarkdownConverterOptions): (html: string) => string {
  const service = new TurndownService({
    headingStyle: 'atx', codeBlockStyle: 'fenced', fence: '```', bulletListMarker: '-', hr: '---', emDelimiter: '_',
  })
  service.use([tables, strikethrough, taskListItems])
  // Text like "<tag>" (decoded from &lt;tag&gt;) would read as raw HTML in markdown: escape the "<".
  const escape = service.escape.bind(service)
  service.escape = (text) => escape(text).replace(/<(?=[A-Za-z/!?])/g, '\\<')
  service.remove(['script', 'style', 'noscript', 'template', 'head'])

  service.addRule('preformatted', {
    filter: 'pre',
    replacement: (_content, node) => {
      const pre = asNode(node)
      const code = (pre.textContent ?? '').replace(/\n$/, '')
      if (code.trim() === '') return ''
      const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1))
      return `\n\n${fence}${codeLanguage(pre)}\n${code}\n${fence}\n\n`
    },
  })
  service.addRule('teletype', {
    filter: ['tt', 'kbd', 'samp'],
    replacement: (_content, node) => inlineCode(asNode(node).textContent ?? ''),
  })
  service.addRule('listItem', {
    filter: 'li',
    replacement: (content, node, turndownOptions) => {
      const parent = asNode(node).parentNode
      let prefix = `${turndownOptions.bulletListMarker} `
      if (parent?.nodeName === 'OL') {
        const start = Number(parent.getAttribute('start') ?? 1)
        const index = Array.prototype.indexOf.call(parent.children, node)
        prefix = `${(Number.isFinite(start) ? start : 1) + index}. `
      }
      const paragraph = /\n$/.test(content)
      const body = content.replace(/^\n+/, '').replace(/\n+$/, '') + (paragraph ? '\n' : '')
      return prefix + body.replace(/\n/g, `\n${' '.repeat(prefix.length)}`) + (asNode(node).nextSibling ? '\n' : '')
    },
  })
  service.addRule('link', {
    filter: 'a',
    replacement: (content, node) => {
      const href = asNode(node).getAttribute('href')?.trim()
      if (!options.preserveLinks || !href) return content
      // A link with nothing to read (an icon, an image that was dropped) is dropped with it.
      if (content.trim() === '') return ''
      return `[${content}](${href.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`
    },
  })
  // A rule, not `remove`: turndown consults removals only after its own image rule.
  if (!options.preserveImages) service.addRule('noImages', {filter: ['img', 'picture'], replacement: () => ''})

  return (html) => tidyMarkdown(service.turndown(html))
}
