import type {TokenCounter} from './token-counter.js'

/** A piece of a block that was too large for one segment, with the text that joined it to the piece before. */
export interface BlockPiece {
  text: string
  tokens: number
  /** The text's last pre-token. */
  last: string
  /** What stood between this piece and the previous one in the block (`\n`, a space, or nothing). */
  join: string
}

const SENTENCE_END = /(?<=[.!?;:…。！？])\s+/

/**
 * Splits prose into pieces of at most `budget` tokens, cutting at line ends first, then sentence
 * ends, then spaces, and only as a last resort between two pre-tokens (a run of letters with no
 * space in `budget` tokens).
 */
export function splitProse(text: string, budget: number, counter: TokenCounter): BlockPiece[] {
  const pieces: BlockPiece[] = []
  splitAt(text, '', 0, budget, counter, pieces)
  return pieces
}

const LEVELS: Array<{split: (text: string) => string[]; join: string}> = [
  {split: (text) => text.split('\n'), join: '\n'},
  {split: (text) => text.split(SENTENCE_END), join: ' '},
  {split: (text) => text.split(/ +/), join: ' '},
]

function splitAt(text: string, join: string, level: number, budget: number, counter: TokenCounter, out: BlockPiece[]): void {
  const {tokens, last} = counter.measure(text)
  if (tokens <= budget) {
    out.push({text, tokens, last, join})
    return
  }
  if (level >= LEVELS.length) {
    cutBetweenPreTokens(text, join, budget, counter, out)
    return
  }
  const {split, join: levelJoin} = LEVELS[level]
  const parts = split(text).filter((part) => part !== '')
  if (parts.length <= 1) {
    splitAt(text, join, level + 1, budget, counter, out)
    return
  }
  const joinTokens = counter.count(levelJoin)
  let group: string[] = []
  let groupTokens = 0
  let nextJoin = join
  const flush = () => {
    if (group.length === 0) return
    // Grouped parts were estimated by summing; an exact recount decides (it is rarely larger).
    splitAt(group.join(levelJoin), nextJoin, level + 1, budget, counter, out)
    nextJoin = levelJoin
    group = []
    groupTokens = 0
  }
  for (const part of parts) {
    const partTokens = counter.count(part)
    if (group.length > 0 && groupTokens + joinTokens + partTokens > budget) flush()
    group.push(part)
    groupTokens += (group.length > 1 ? joinTokens : 0) + partTokens
  }
  flush()
}

function cutBetweenPreTokens(text: string, join: string, budget: number, counter: TokenCounter, out: BlockPiece[]): void {
  let rest = text
  let nextJoin = join
  while (rest !== '') {
    const head = counter.head(rest, budget)
    out.push({text: head, ...counter.measure(head), join: nextJoin})
    nextJoin = ''
    rest = rest.slice(head.length)
  }
}

/**
 * Splits a fenced code block larger than `budget` on line boundaries into several complete fenced
 * blocks with the same opening fence (so the language is kept and no piece is left unclosed). A
 * single line larger than the budget becomes an oversized piece of its own.
 */
export function splitFencedCode(block: string, budget: number, counter: TokenCounter): BlockPiece[] {
  const lines = block.split('\n')
  const opening = lines[0]
  const indent = /^[ \t]*/.exec(opening)![0]
  const fence = /^[ \t]*(`{3,}|~{3,})/.exec(opening)![1]
  const closed = lines.length > 1 && new RegExp(`^[ \\t]*${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`).test(lines[lines.length - 1])
  const body = lines.slice(1, closed ? -1 : undefined)
  const closing = `${indent}${fence}`
  const wrap = (bodyLines: string[]) => `${opening}\n${bodyLines.join('\n')}\n${closing}`
  const frameTokens = counter.count(`${opening}\n`) + counter.count(`\n${closing}`)
  const newline = counter.count('\n')
  const pieces: BlockPiece[] = []
  let group: string[] = []
  let groupTokens = frameTokens
  const emit = (lines: string[]) => {
    const text = wrap(lines)
    pieces.push({text, ...counter.measure(text), join: '\n\n'})
  }
  const flush = (carry: string[]) => {
    // The estimate may be short (BPE merges across line ends): give back lines until it fits.
    const taken = [...group]
    while (taken.length > 1 && counter.count(wrap(taken)) > budget) carry.unshift(taken.pop()!)
    emit(taken)
    group = carry
    groupTokens = frameTokens + carry.reduce((sum, line) => sum + counter.count(line) + newline, 0)
  }
  for (const line of body) {
    const lineTokens = counter.count(line) + newline
    if (group.length > 0 && groupTokens + lineTokens > budget) {
      // Prefer to cut at a blank line (between functions, paragraphs of config) in the second half.
      let cut = group.length
      for (let i = group.length - 1; i >= group.length / 2; i--) {
        if (group[i].trim() === '') {
          cut = i
          break
        }
      }
      const carry = group.slice(cut).filter((_, i, rest) => i > 0 || rest[0].trim() !== '')
      group = group.slice(0, cut)
      flush(carry)
    }
    group.push(line)
    groupTokens += lineTokens
  }
  while (group.length > 0) flush([])
  if (pieces.length > 0) pieces[0].join = ''
  return pieces
}
