import {type BlockKind, parseMarkdownBlocks} from './markdown-blocks.js'
import {splitFencedCode, splitProse} from './split-oversized.js'
import type {TokenCounter} from './token-counter.js'

export interface SegmentMarkdownOptions {
  /** Token budget of one segment (including any overlap). */
  maxTokens: number
  /** A run of blocks below this is merged with its next (else previous) neighbour when both fit. */
  minTokens: number
  /** Tokens of the previous segment's closing prose repeated at the start of the next one. */
  overlapTokens: number
  /** Checked between phases; an aborted signal throws its reason. */
  signal?: AbortSignal
}

export interface MarkdownSegment {
  index: number
  text: string
  /** Exact BPE count of `text` in the counter's encoding. */
  token_count: number
  heading_path: string[]
}

/** One packable unit: a block, or a piece of a block that was too large for a segment. */
interface Unit {
  text: string
  tokens: number
  /** The text's last pre-token (for exact join costs, see `TokenCounter.newlineBoundaries`). */
  last: string
  kind: BlockKind
  path: readonly string[]
  /** Separator before this unit when it follows another unit in the same segment. */
  join: string
}

interface Chunk {
  units: Unit[]
  /** The units' counts plus their joins' (exact when `exact`, else an estimate). */
  tokens: number
  exact: boolean
}

const BLOCK_SEPARATOR = '\n\n'

/**
 * Cuts markdown into segments that follow its heading structure and fit `maxTokens`:
 *
 * 1. Blocks (headings, paragraphs and lists, fenced code, tables) are packed greedily within each
 *    section (a heading and what follows it up to the next heading); a section never shares a
 *    chunk with another in this step.
 * 2. Chunks under `minTokens` merge with the next chunk (else the previous one) when the result
 *    still fits, so a heading followed at once by a sub-heading travels with that sub-section.
 * 3. Each segment's count is exact: summed from its blocks' counts where the encoding makes that
 *    exact (cl100k_base, o200k_base across line-end joins, see `TokenCounter.newlineBoundaries`),
 *    otherwise counted again on the final text; if that is over budget, trailing units move on.
 *
 * Never cut: a fenced code block that fits the budget and a table are always whole in one
 * segment. A table (or front matter) larger than the budget becomes one oversized segment on its
 * own. A code block larger than the budget is split on line boundaries into several complete
 * fenced blocks with the same opening fence (the language is kept); a single line over budget is
 * then an oversized piece. Prose larger than the budget is split at line ends, then sentence ends,
 * then spaces.
 *
 * Overlap: with `overlapTokens` > 0 every segment after the first starts with up to that many
 * tokens from the end of the previous segment, cut on a pre-token boundary — only when the previous
 * segment ends in prose (never a slice of code or a table), and only as much as still fits
 * `maxTokens` (segments are packed to leave room for it).
 *
 * `heading_path` is the longest common heading path of the segment's non-heading blocks (the
 * path of its last heading when it holds headings only).
 */
export function segmentMarkdown(markdown: string, options: SegmentMarkdownOptions, counter: TokenCounter): MarkdownSegment[] {
  const {maxTokens, minTokens, overlapTokens, signal} = options
  const separatorTokens = counter.count(BLOCK_SEPARATOR)
  const budget = overlapTokens > 0
    ? Math.max(maxTokens - overlapTokens - separatorTokens, Math.ceil(maxTokens / 2))
    : maxTokens

  const blocks = parseMarkdownBlocks(markdown)
  signal?.throwIfAborted()
  const sections: Unit[][] = []
  let section: Unit[] = []
  for (const block of blocks) {
    if (block.kind === 'heading' && section.length > 0) {
      sections.push(section)
      section = []
    }
    const {tokens, last} = counter.measure(block.text)
    if (tokens <= budget || block.kind === 'table' || block.kind === 'front_matter') {
      section.push({text: block.text, tokens, last, kind: block.kind, path: block.headingPath, join: BLOCK_SEPARATOR})
      continue
    }
    const pieces = block.kind === 'code' ? splitFencedCode(block.text, budget, counter) : splitProse(block.text, budget, counter)
    pieces.forEach((piece, i) => section.push({
      text: piece.text, tokens: piece.tokens, last: piece.last, kind: block.kind, path: block.headingPath,
      join: i === 0 ? BLOCK_SEPARATOR : piece.join,
    }))
  }
  if (section.length > 0) sections.push(section)
  signal?.throwIfAborted()

  const joins = new JoinCosts(counter)
  const chunks = mergeSmallChunks(packSections(sections, budget, joins), minTokens, budget, joins)
  signal?.throwIfAborted()
  return finalise(chunks, {budget, maxTokens, overlapTokens}, counter)
}

/** What joining two units costs in tokens, exactly where the encoding allows it. */
class JoinCosts {
  constructor(private readonly counter: TokenCounter) {}

  cost(previous: Unit, join: string): {tokens: number; exact: boolean} {
    if (this.counter.newlineBoundaries && join.endsWith('\n') && previous.last !== '') {
      return {tokens: this.counter.count(previous.last + join) - this.counter.count(previous.last), exact: true}
    }
    return {tokens: this.counter.count(join), exact: false}
  }

  /** The chunk `a` followed by `b` (joined by b's first unit's separator). */
  merge(a: Chunk, b: Chunk): Chunk {
    const join = this.cost(a.units[a.units.length - 1], b.units[0].join)
    return {units: [...a.units, ...b.units], tokens: a.tokens + join.tokens + b.tokens, exact: a.exact && b.exact && join.exact}
  }
}

function packSections(sections: Unit[][], budget: number, joins: JoinCosts): Chunk[] {
  const chunks: Chunk[] = []
  for (const units of sections) {
    let current: Chunk | undefined
    for (const unit of units) {
      const join = current ? joins.cost(current.units[current.units.length - 1], unit.join) : undefined
      if (current && join && current.tokens + join.tokens + unit.tokens <= budget) {
        current.units.push(unit)
        current.tokens += join.tokens + unit.tokens
        current.exact &&= join.exact
      } else {
        current = {units: [unit], tokens: unit.tokens, exact: true}
        chunks.push(current)
      }
    }
  }
  return chunks
}

function headingsOnly(chunk: Chunk): boolean {
  return chunk.units.every((unit) => unit.kind === 'heading')
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/**
 * Merges chunks under `minTokens` with a neighbour when the pair fits the budget. A small chunk
 * joins the neighbour it is closer to in the outline (the longer shared heading path across the
 * boundary; the previous one on a tie); a chunk of headings only always joins the next one, so a
 * heading never ends a segment whose content it does not introduce.
 */
function mergeSmallChunks(chunks: Chunk[], minTokens: number, budget: number, joins: JoinCosts): Chunk[] {
  if (minTokens <= 0) return chunks
  const fits = (a: Chunk, b: Chunk) => a.tokens + joins.cost(a.units[a.units.length - 1], b.units[0].join).tokens + b.tokens <= budget
  const merge = (a: Chunk, b: Chunk) => joins.merge(a, b)
  const first = (chunk: Chunk) => chunk.units[0].path
  const last = (chunk: Chunk) => chunk.units[chunk.units.length - 1].path
  const merged: Chunk[] = []
  const queue = [...chunks]
  for (let i = 0; i < queue.length; i++) {
    const chunk = queue[i]
    if (chunk.tokens >= minTokens) {
      merged.push(chunk)
      continue
    }
    const previous = merged[merged.length - 1]
    const next = queue[i + 1]
    const backward = previous !== undefined && !headingsOnly(chunk) && fits(previous, chunk)
    const forward = next !== undefined && fits(chunk, next)
    if (backward && (!forward || commonPrefix(last(previous), first(chunk)) >= commonPrefix(last(chunk), first(next)))) {
      merged[merged.length - 1] = merge(previous, chunk)
    } else if (forward) {
      queue[i + 1] = merge(chunk, next)
    } else {
      merged.push(chunk)
    }
  }
  return merged
}

function joinUnits(units: readonly Unit[]): string {
  let text = units[0].text
  for (let i = 1; i < units.length; i++) text += units[i].join + units[i].text
  return text
}

function headingPathOf(units: readonly Unit[]): string[] {
  const content = units.filter((unit) => unit.kind !== 'heading')
  if (content.length === 0) return [...units[units.length - 1].path]
  let common = content[0].path
  let length = common.length
  for (const unit of content) {
    if (unit.path === common) continue
    let i = 0
    while (i < length && i < unit.path.length && unit.path[i] === common[i]) i++
    length = i
    common = unit.path
  }
  return common.slice(0, length)
}

interface FinaliseLimits {
  budget: number
  maxTokens: number
  overlapTokens: number
}

function finalise(chunks: Chunk[], limits: FinaliseLimits, counter: TokenCounter): MarkdownSegment[] {
  const {budget, maxTokens, overlapTokens} = limits
  const separatorTokens = counter.count(BLOCK_SEPARATOR)
  const segments: MarkdownSegment[] = []
  let previous: Unit[] | undefined
  for (let c = 0; c < chunks.length; c++) {
    const units = chunks[c].units
    let own = joinUnits(units)
    let tokens = chunks[c].exact ? chunks[c].tokens : counter.count(own)
    while (tokens > budget && units.length > 1) {
      // Summed counts underestimated the joined text: give the last unit to a chunk of its own.
      const moved = units.pop()!
      chunks.splice(c + 1, 0, {units: [{...moved, join: BLOCK_SEPARATOR}], tokens: moved.tokens, exact: true})
      own = joinUnits(units)
      tokens = counter.count(own)
    }
    let text = own
    const last = previous?.[previous.length - 1]
    if (overlapTokens > 0 && last?.kind === 'text') {
      const room = Math.min(overlapTokens, maxTokens - tokens - separatorTokens)
      const tail = room > 0 ? counter.tail(last.text, room).trimStart() : ''
      if (tail !== '') {
        const withOverlap = `${tail}${BLOCK_SEPARATOR}${own}`
        const withTokens = counter.newlineBoundaries ? counter.count(tail + BLOCK_SEPARATOR) + tokens : counter.count(withOverlap)
        if (withTokens <= maxTokens) {
          text = withOverlap
          tokens = withTokens
        }
      }
    }
    segments.push({index: segments.length, text, token_count: tokens, heading_path: headingPathOf(units)})
    previous = units
  }
  return segments
}
