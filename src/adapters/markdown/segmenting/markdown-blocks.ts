/**
 * A line scanner that cuts markdown into the blocks the segmenter packs: headings, fenced code
 * blocks, GFM tables, a leading YAML front matter, and runs of other lines (paragraphs, lists,
 * quotes) separated by blank lines. It is not a full CommonMark parser on purpose: the segmenter
 * needs only block boundaries and the heading outline, and a single pass over lines keeps it at
 * tens of MB/s.
 */
export type BlockKind = 'heading' | 'code' | 'table' | 'front_matter' | 'text'

export interface MarkdownBlock {
  kind: BlockKind
  /** The block's markdown, without surrounding blank lines. */
  text: string
  /**
   * Heading texts from the top of the document down to the section the block is in; a heading's
   * own path ends with itself. Blocks of one section share the same array.
   */
  headingPath: readonly string[]
  /** 1–6 for headings. */
  level?: number
}

const SPACE = 0x20
const TAB = 0x09
const BACKTICK = 0x60
const TILDE = 0x7e
const HASH = 0x23
const EQUALS = 0x3d
const DASH = 0x2d
const PIPE = 0x7c
const COLON = 0x3a

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/
/** A paragraph whose first line starts a list item or quote is not a setext heading's text. */
const NOT_SETEXT_TEXT = /^[ \t]*(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>)/

/** Heading text as a reader sees it: links, emphasis, code ticks and backslash escapes removed. */
export function plainHeadingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|`+)/g, '')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
}

function firstNonBlank(text: string, from: number, to: number): number {
  let i = from
  while (i < to) {
    const c = text.charCodeAt(i)
    if (c !== SPACE && c !== TAB) break
    i++
  }
  return i
}

/** Splits markdown into blocks; `\r\n` and `\r` line ends are read as `\n`. */
export function parseMarkdownBlocks(input: string): MarkdownBlock[] {
  const text = input.includes('\r') ? input.replace(/\r\n?/g, '\n') : input
  const length = text.length
  const blocks: MarkdownBlock[] = []
  const outline: Array<{level: number; text: string}> = []
  let path: readonly string[] = []

  // The pending run of text lines: [start, end) offsets, and where its last line starts.
  let runStart = -1
  let runEnd = -1
  let runLastLine = -1
  const flushRun = (to = runEnd) => {
    if (runStart >= 0) {
      const body = text.slice(runStart, to).trimEnd()
      if (body !== '') blocks.push({kind: 'text', text: body, headingPath: path})
    }
    runStart = runEnd = runLastLine = -1
  }
  const enterHeading = (level: number, title: string, body: string) => {
    while (outline.length > 0 && outline[outline.length - 1].level >= level) outline.pop()
    outline.push({level, text: title})
    path = outline.map((entry) => entry.text)
    blocks.push({kind: 'heading', text: body, headingPath: path, level})
  }
  const lineEndAt = (from: number) => {
    const newline = text.indexOf('\n', from)
    return newline === -1 ? length : newline
  }

  let pos = 0
  // YAML front matter: only as the very first line.
  if (text.startsWith('---\n')) {
    const close = /\n(?:---|\.\.\.)[ \t]*(?:\n|$)/g
    close.lastIndex = 3
    const found = close.exec(text)
    if (found) {
      const end = found.index + found[0].trimEnd().length
      blocks.push({kind: 'front_matter', text: text.slice(0, end), headingPath: path})
      pos = end + 1
    }
  }

  while (pos < length) {
    const end = lineEndAt(pos)
    const first = firstNonBlank(text, pos, end)
    if (first === end) { // blank line
      flushRun()
      pos = end + 1
      continue
    }
    const c = text.charCodeAt(first)

    if (c === BACKTICK || c === TILDE) {
      let run = first
      while (run < end && text.charCodeAt(run) === c) run++
      const fenceLength = run - first
      if (fenceLength >= 3 && (c === TILDE || !text.slice(run, end).includes('`'))) {
        flushRun()
        let close = end
        let blockEnd = length
        while (close < length) {
          const lineStart = close + 1
          const lineEnd = lineEndAt(lineStart)
          const at = firstNonBlank(text, lineStart, lineEnd)
          let k = at
          while (k < lineEnd && text.charCodeAt(k) === c) k++
          if (k - at >= fenceLength && firstNonBlank(text, k, lineEnd) === lineEnd) {
            blockEnd = lineEnd
            break
          }
          close = lineEnd
          if (lineEnd >= length) break
        }
        blocks.push({kind: 'code', text: text.slice(pos, blockEnd).trimEnd(), headingPath: path})
        pos = blockEnd + 1
        continue
      }
    }

    if (c === HASH && first - pos <= 3) {
      const line = text.slice(pos, end)
      const heading = ATX_HEADING.exec(line)
      if (heading) {
        flushRun()
        enterHeading(heading[1].length, plainHeadingText(heading[2] ?? ''), line.trim())
        pos = end + 1
        continue
      }
    }

    if ((c === EQUALS || c === DASH) && runStart >= 0) {
      const line = text.slice(pos, end)
      if (SETEXT_UNDERLINE.test(line)) {
        const runText = text.slice(runStart, runEnd)
        if (!NOT_SETEXT_TEXT.test(runText) && !runText.includes('|')) {
          const start = runStart
          runStart = runEnd = runLastLine = -1
          enterHeading(c === EQUALS ? 1 : 2, plainHeadingText(runText), text.slice(start, end).trim())
          pos = end + 1
          continue
        }
      }
    }

    if ((c === PIPE || c === COLON || c === DASH) && runStart >= 0) {
      const line = text.slice(pos, end)
      if (line.includes('|') && TABLE_DELIMITER.test(line) && text.slice(runLastLine, runEnd).includes('|')) {
        const headerStart = runLastLine
        flushRun(headerStart)
        let tableEnd = end
        while (tableEnd < length) {
          const lineStart = tableEnd + 1
          const lineEnd = lineEndAt(lineStart)
          const at = firstNonBlank(text, lineStart, lineEnd)
          const k = text.charCodeAt(at)
          if (at === lineEnd || (k === HASH && ATX_HEADING.test(text.slice(lineStart, lineEnd)))
            || ((k === BACKTICK || k === TILDE) && /^[ \t]*(?:```|~~~)/.test(text.slice(lineStart, lineEnd)))) break
          tableEnd = lineEnd
        }
        blocks.push({kind: 'table', text: text.slice(headerStart, tableEnd).trimEnd(), headingPath: path})
        pos = tableEnd + 1
        continue
      }
    }

    if (runStart < 0) runStart = pos
    runLastLine = pos
    runEnd = end
    pos = end + 1
  }
  flushRun()
  return blocks
}
