/**
 * Fenced code blocks cut out of markdown before it goes to a model and put back afterwards, so that
 * code is never translated or rewritten. Each block is replaced by a token on its own (`@@CODE_0@@`);
 * the tokens are ASCII capitals, digits and `@`, which models copy reliably and case changes keep.
 *
 * Fences (``` or ~~~, three or more) are found line by line, also indented or inside block quotes;
 * a fence closes at a line of the same character at least as long with no info string, an unclosed
 * fence runs to the end (as in CommonMark). Indented (4-space) code blocks and inline code spans
 * are left in the text. Line ends are kept byte for byte.
 */
export interface ProtectedText {
  /** The input with each code block replaced by its token. */
  text: string
  /** The blocks in order; block `i` is behind `tokenFor(i)`. */
  blocks: string[]
}

const OPENING = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})([^\n]*)$/
const CLOSING = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})[ \t]*$/

export function tokenFor(index: number): string {
  return `@@CODE_${index}@@`
}

export function protectCodeBlocks(markdown: string): ProtectedText {
  const lines = markdown.match(/[^\n]*\n|[^\n]+$/g) ?? []
  const blocks: string[] = []
  let text = ''
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(stripEol(lines[i]!))
    // A backtick fence's info string cannot contain backticks (CommonMark), else it is inline code.
    if (open === null || (open[1]![0] === '`' && open[2]!.includes('`'))) {
      text += lines[i]
      continue
    }
    const fence = open[1]!
    let end = lines.length - 1
    for (let j = i + 1; j < lines.length; j++) {
      const close = CLOSING.exec(stripEol(lines[j]!))
      if (close !== null && close[1]![0] === fence[0] && close[1]!.length >= fence.length) {
        end = j
        break
      }
    }
    const raw = lines.slice(i, end + 1).join('')
    // The closing line's own line end stays outside the block, so the token sits on its own line.
    const eol = /\r?\n$/.exec(raw)?.[0] ?? ''
    text += tokenFor(blocks.length) + eol
    blocks.push(raw.slice(0, raw.length - eol.length))
    i = end
  }
  return {text, blocks}
}

/**
 * Puts the blocks back. Returns the tokens the model dropped (the caller decides: retry or fail);
 * tokens it repeated get the block each time.
 */
export function restoreCodeBlocks(text: string, blocks: readonly string[]): {text: string; missing: number[]} {
  const seen = new Set<number>()
  // One pass, so a code block that itself contains a token-like string is not expanded again.
  const out = text.replace(/@@CODE_(\d+)@@/g, (token, digits: string) => {
    const index = Number(digits)
    if (index >= blocks.length) return token
    seen.add(index)
    return blocks[index]!
  })
  const missing = blocks.map((_block, index) => index).filter((index) => !seen.has(index))
  return {text: out, missing}
}

function stripEol(line: string): string {
  return line.replace(/\r?\n$/, '')
}
