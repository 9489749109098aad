/**
 * Cuts a text into pieces for translation: runs of paragraphs up to `maxChars` each (a longer
 * paragraph goes alone, never cut), and the blank lines between runs and around the text, which are
 * not sent and come back verbatim. Models answer a bounded text more faithfully, fit their output
 * cap, and drop or add blank lines at the edges of what they get; this keeps the layout exact.
 */
export interface TranslationPiece {
  text: string
  /** false for whitespace kept as it is. */
  translate: boolean
}

/** About 2k tokens of English: well under common output caps. */
export const DEFAULT_CHUNK_CHARS = 8000

const BLANK_LINES = /(\r?\n(?:[ \t]*\r?\n)+)/

export function translationPieces(text: string, maxChars = DEFAULT_CHUNK_CHARS): TranslationPiece[] {
  // Only whole blank lines lead: the first line's indentation is markdown (an indented code block).
  const lead = /^(?:[ \t]*\r?\n)*/.exec(text)![0]
  const rest = text.slice(lead.length)
  // trimEnd, not /\s*$/: the regex is quadratic on long runs of blanks.
  const core = rest.trimEnd()
  const trail = rest.slice(core.length)
  const pieces: TranslationPiece[] = []
  if (lead !== '') pieces.push({text: lead, translate: false})
  if (core !== '') {
    const parts = core.split(BLANK_LINES)
    // Trailing blanks of a paragraph belong to the separator after it (models drop them).
    for (let i = 1; i < parts.length; i += 2) {
      const paragraph = parts[i - 1]!
      const end = endOfText(paragraph)
      parts[i] = paragraph.slice(end) + parts[i]
      parts[i - 1] = paragraph.slice(0, end)
    }
    let current = parts[0]!
    for (let i = 1; i < parts.length; i += 2) {
      const separator = parts[i]!
      const paragraph = parts[i + 1]!
      if (current.length + separator.length + paragraph.length > maxChars) {
        pieces.push({text: current, translate: true}, {text: separator, translate: false})
        current = paragraph
      } else {
        current += separator + paragraph
      }
    }
    pieces.push({text: current, translate: true})
  }
  if (trail !== '') pieces.push({text: trail, translate: false})
  return pieces
}

/** Index after the last character that is not a space or tab (a scan: a regex would be quadratic on long runs). */
function endOfText(text: string): number {
  let end = text.length
  while (end > 0 && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--
  return end
}

/** A model's answer for one piece without the blank lines it added around it. */
export function trimAnswer(answer: string): string {
  return answer.replace(/^(?:[ \t]*\r?\n)*/, '').trimEnd()
}
