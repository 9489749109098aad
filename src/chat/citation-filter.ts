const CITATION = /^\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]$/
/** Longest bracket text still taken for a citation (`[12, 13, 14]`); longer is left as it is. */
const MAX_CITATION = 24

/**
 * Removes citations of passages that were not given (`[7]` when 5 were retrieved) from a streamed
 * answer, so a citation never points at nothing; `[1, 9]` keeps `[1]`. Text in brackets that is not
 * a citation passes through. Feed the deltas in order, then `end()`: a `[` is held back until its
 * citation is complete, so the output is delayed by at most a few characters.
 */
export class CitationFilter {
  private pending = ''

  constructor(private readonly sourceCount: number) {}

  /** The part of the text so far that can be shown. */
  push(delta: string): string {
    let out = ''
    for (const char of delta) {
      if (this.pending === '') {
        if (char === '[') this.pending = char
        else out += char
        continue
      }
      this.pending += char
      if (char === ']') {
        out += this.resolve(this.pending)
        this.pending = ''
      } else if (!/[\d\s,;]/.test(char) || this.pending.length > MAX_CITATION) {
        // Not a citation after all; a new `[` may start one.
        const held = this.pending.slice(0, -1)
        this.pending = ''
        out += held
        out += this.push(char)
      }
    }
    return out
  }

  /** What is still held back (an unfinished `[…`). */
  end(): string {
    const rest = this.pending
    this.pending = ''
    return rest
  }

  private resolve(text: string): string {
    if (!CITATION.test(text)) return text
    const numbers = text.slice(1, -1).split(/[,;]/).map((part) => Number(part.trim()))
    const valid = numbers.filter((n) => Number.isInteger(n) && n >= 1 && n <= this.sourceCount)
    if (valid.length === numbers.length) return text
    return valid.length === 0 ? '' : `[${valid.join(', ')}]`
  }
}

/** The passage numbers an answer cites, in order of first citation. */
export function citedIndexes(answer: string): number[] {
  const seen = new Set<number>()
  for (const match of answer.matchAll(/\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]/g)) {
    for (const part of match[1]!.split(/[,;]/)) seen.add(Number(part.trim()))
  }
  return [...seen]
}
