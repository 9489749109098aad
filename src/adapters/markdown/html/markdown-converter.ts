import {htmlToMarkdown, type MdreamOptions} from 'mdream'

import {LOOSE_ITEM} from './extract-content.js'

export interface MarkdownConverterOptions {
  /** Keep hyperlinks; otherwise only their text. */
  preserveLinks: boolean
  /** Keep images as `![alt](src)`; otherwise drop them. */
  preserveImages: boolean
}

/** Never content, whatever the mode. */
const NON_CONTENT = ['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed', 'svg', 'canvas', 'link', 'meta', 'base',
  'title', 'dialog', 'input', 'button', 'select', 'textarea', '[hidden]', '[aria-hidden="true"]']

const LANGUAGE_CLASS = [
  /(?:^|\s)(?:language|lang)-([\w+#.-]+)/i,
  /(?:^|\s)highlight-(?:source-|text-)?([\w+#-]+)/i,
  /(?:^|\s)brush:\s*([\w+#-]+)/i,
]
/** Class words that name a highlighter, not a language. */
const NOT_A_LANGUAGE = new Set(['none', 'plaintext', 'text', 'default', 'notranslate'])

const ATTRIBUTES = new Map(['class', 'data-lang', 'data-language'].map((name) => [name, new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i')]))

function attribute(tag: string, name: 'class' | 'data-lang' | 'data-language'): string | undefined {
  if (!tag.includes(name)) return undefined
  const match = ATTRIBUTES.get(name)!.exec(tag)
  return match ? match[1] ?? match[2] ?? match[3] : undefined
}

function languageOf(tag: string | undefined): string | undefined {
  if (!tag) return undefined
  const declared = attribute(tag, 'data-lang') ?? attribute(tag, 'data-language')
  if (declared && /^[\w+#.-]+$/.test(declared)) return declared.toLowerCase()
  const classes = attribute(tag, 'class') ?? ''
  for (const pattern of LANGUAGE_CLASS) {
    const match = pattern.exec(classes)
    if (match && !NOT_A_LANGUAGE.has(match[1].toLowerCase())) return match[1].toLowerCase()
  }
  return undefined
}

/**
 * mdream drops a space held by a span at the end of an emphasis (Sphinx writes
 * `<em><span>exception</span><span class="w"> </span></em>copy.Error`), gluing the words; a bare
 * space stays.
 */
const BLANK_SPAN = /<span\b[^>]*>([ \t\n]+)<\/span>/gi

const PRE = /<pre\b[^>]*>(\s*<code\b[^>]*>)?/gi
const START_TAG = /<[a-z][^>]*>/gi
/** How far back the wrappers of a `<pre>` are looked for. */
const WRAPPER_WINDOW = 400

/**
 * mdream reads a block's language only from `<code class="language-x">`. Pages declare it in more
 * places: this writes the language found on the `<code>`, the `<pre>` or up to two start tags that
 * wrap it (Sphinx's `highlight-python3`, GitHub's `highlight-source-go`, `lang-x`, `brush: x`,
 * `data-lang`) into that form.
 */
function annotateCodeLanguages(html: string): string {
  if (!/<pre\b/i.test(html)) return html
  return html.replace(PRE, (match: string, code: string | undefined, offset: number) => {
    const pre = code ? match.slice(0, match.length - code.length) : match
    const before = html.slice(Math.max(0, offset - WRAPPER_WINDOW), offset)
    // Only start tags after the last end tag wrap the block; earlier ones were closed siblings.
    const open = before.slice(before.lastIndexOf('</') + 1).match(START_TAG) ?? []
    const language = languageOf(code) ?? languageOf(pre) ?? languageOf(open.at(-1)) ?? languageOf(open.at(-2))
    if (!language) return match
    const annotated = `<code class="language-${language}">`
    return code ? `${pre}${code.replace(/<code\b[^>]*>/i, annotated)}` : `${pre}${annotated}`
  })
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

/** GFM table cells hold inline content only: mdream leaves block content in cells as HTML. */
function flattenTableCells(line: string): string {
  if (!line.startsWith('|') || !line.includes('<')) return line
  return line
    .replace(/<pre\b[^>]*>([\s\S]*?)<\/pre>/gi, (_pre, code: string) => inlineCode(code.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]*>/g, '')
      .replace(/&#124;/g, '\\|').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim()))
    .replace(/<(ul|ol)\b[^>]*>([\s\S]*?)<\/\1>/gi, (_list, _tag, items: string) => items.split(/<li\b[^>]*>/i)
      .map((item) => item.replace(/<[^>]*>/g, '').trim()).filter(Boolean).join('; '))
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<\/?(?:p|div|span|blockquote|h[1-6]|hr)\b[^>]*>/gi, ' ')
    .replace(/ {2,}/g, ' ')
}

/** A link's title (`[a](url "title")`) is tooltip text, not content: segments and search skip it. */
const LINK_TITLE = /\]\((<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*) "(?:[^"\\\n]|\\.)*"\)/g

/** Drops the spaces of blank lines, runs of blank lines and blank lines ending a fenced block. */
export function tidyMarkdown(markdown: string): string {
  const lines = markdown.replace(LINK_TITLE, ']($1)').split('\n')
  const out: string[] = []
  let fence: string | undefined
  let blank = 0
  for (const line of lines) {
    const marker = /^[ \t]*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) {
        while (out.length > 0 && out[out.length - 1].trim() === '') out.pop()
        fence = undefined
      }
      out.push(line)
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
    const cells = flattenTableCells(line)
    out.push(cells.trimEnd() === cells ? cells : cells.replace(/[ \t]+$/, (spaces) => (spaces.length >= 2 && !marker ? '  ' : '')))
  }
  return out.join('\n').trim()
}

/**
 * An HTML → GitHub-flavoured markdown converter on mdream (a Rust converter, one streaming pass,
 * no DOM): ATX headings, `-` bullets, fenced code with the language taken from the usual class
 * names (see `annotateCodeLanguages`), GFM tables with inline cells, links resolved against
 * `baseUrl`. Scripts, styles, forms, hidden elements and the head are never content; links
 * without a target (`#`, `javascript:`) or without text keep only their text.
 */
export function createMarkdownConverter(options: MarkdownConverterOptions): (html: string, baseUrl?: string) => string {
  const exclude = options.preserveImages ? NON_CONTENT : [...NON_CONTENT, 'img', 'picture']
  // An item of a loose list (marked by extractContent) is a list item after a blank line.
  const tagOverrides: MdreamOptions['tagOverrides'] = {tt: 'code', [LOOSE_ITEM]: {alias: 'li', spacing: [2, 0]}}
  if (!options.preserveLinks) tagOverrides.a = {enter: '', exit: '', isInline: true}
  const base: Partial<MdreamOptions> = {filter: {exclude}, tagOverrides, clean: {emptyLinks: true, emptyLinkText: true}}
  return (html, baseUrl) => tidyMarkdown(htmlToMarkdown(annotateCodeLanguages(html.replace(BLANK_SPAN, ' ')), baseUrl ? {...base, origin: baseUrl} : base))
}
