import type {TOKEN_ENCODINGS} from '../catalog.js'
import {BytePairRanks} from './byte-pair-ranks.js'
import {PreTokenMemo} from './pre-token-memo.js'
import {cl100kPreTokenEnd, patternPreTokenEnd, type PreTokenEnd} from './pre-tokens.js'

export type TokenEncoding = (typeof TOKEN_ENCODINGS)[number]

/** BPE token counts of one encoding (js-tiktoken's rank tables, see `BytePairRanks`). */
export interface TokenCounter {
  readonly encoding: TokenEncoding
  /**
   * Exactly `encode(text, [], []).length` of js-tiktoken: special-token text such as
   * `<|endoftext|>` counts as ordinary text, it never throws.
   */
  count(text: string): number
  /** `count(text)` and the text's last pre-token (`''` for empty text), in one scan. */
  measure(text: string): {tokens: number; last: string}
  /**
   * True when the encoding's pre-tokeniser always ends a pre-token at the end of a run of line
   * ends that precedes a non-line-end character (cl100k_base, o200k_base: their `\s*[\r\n]+` and
   * `…[\r\n]*` alternatives). Then `a + sep + b`, with `sep` ending in a line end and `b` not
   * starting with one, counts as `count(a) - count(last) + count(last + sep) + count(b)`, where
   * `last` is a's last pre-token — no recount of the joined text is needed.
   */
  readonly newlineBoundaries: boolean
  /**
   * The longest suffix of `text` that starts on a pre-token boundary and has at most `maxTokens`
   * tokens (`''` when even the last pre-token is larger). Its count is exact: tiktoken's
   * pre-tokeniser has no look-behind, so a suffix cut on a boundary splits the same way.
   */
  tail(text: string, maxTokens: number): string
  /**
   * The longest prefix of `text` that ends on a pre-token boundary and has at most `maxTokens`
   * tokens, but at least the first pre-token (so a caller cutting a long text always advances).
   */
  head(text: string, maxTokens: number): string
}

interface RanksModule {
  default: {pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string}
}

const RANKS: Record<TokenEncoding, () => Promise<RanksModule>> = {
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
  p50k_base: () => import('js-tiktoken/ranks/p50k_base'),
  r50k_base: () => import('js-tiktoken/ranks/r50k_base'),
}

/** Pre-tokens longer than this are rare (long words, whitespace and rule runs) and not worth remembering. */
const MEMO_PIECE_CHARS = 256
/** Bounds the memo of one counter; it is emptied when full (a corpus' vocabulary fits easily). */
const MEMO_ENTRIES = 400_000

/**
 * Counts tokens as js-tiktoken's `encode(text, [], []).length` would, but byte-pair encodes each
 * distinct pre-token once instead of once per occurrence, with `BytePairRanks` instead of
 * js-tiktoken's encoder and, for cl100k_base, a hand-written pre-tokeniser instead of the pattern
 * (see both for why). tiktoken applies BPE to each match of the encoding's `pat_str` independently,
 * so summing memoised per-pre-token counts gives the same number exactly (the tests compare both on
 * every fixture and on random text). Why a pre-token cannot be matched differently alone than
 * inside the text: the pattern has no look-behind, and its only look-ahead, `\s+(?!\S)`, can match
 * a whitespace pre-token at the end of a string only whole.
 */
export class MemoisedTokenCounter implements TokenCounter {
  private readonly memo = new PreTokenMemo(MEMO_ENTRIES)

  readonly newlineBoundaries: boolean

  constructor(readonly encoding: TokenEncoding, private readonly ranks: BytePairRanks, private readonly preTokenEnd: PreTokenEnd) {
    this.newlineBoundaries = encoding === 'cl100k_base' || encoding === 'o200k_base'
  }

  count(text: string): number {
    const end = text.length
    let tokens = 0
    for (let start = 0; start < end;) {
      const next = this.preTokenEnd(text, start)
      tokens += this.piece(text, start, next)
      start = next
    }
    return tokens
  }

  measure(text: string): {tokens: number; last: string} {
    const end = text.length
    let tokens = 0
    let last = 0
    for (let start = 0; start < end;) {
      const next = this.preTokenEnd(text, start)
      tokens += this.piece(text, start, next)
      last = start
      start = next
    }
    return {tokens, last: text.slice(last)}
  }

  tail(text: string, maxTokens: number): string {
    if (maxTokens <= 0 || text === '') return ''
    const starts: number[] = []
    const counts: number[] = []
    for (let start = 0; start < text.length;) {
      const next = this.preTokenEnd(text, start)
      starts.push(start)
      counts.push(this.piece(text, start, next))
      start = next
    }
    let total = 0
    let cut = text.length
    for (let i = starts.length - 1; i >= 0; i--) {
      if (total + counts[i] > maxTokens) break
      total += counts[i]
      cut = starts[i]
    }
    return text.slice(cut)
  }

  head(text: string, maxTokens: number): string {
    let total = 0
    let cut = 0
    while (cut < text.length) {
      const next = this.preTokenEnd(text, cut)
      const tokens = this.piece(text, cut, next)
      if (cut > 0 && total + tokens > maxTokens) break
      total += tokens
      cut = next
    }
    return text.slice(0, cut)
  }

  /** The token count of the pre-token `text[start, end)`. */
  private piece(text: string, start: number, end: number): number {
    if (end - start > MEMO_PIECE_CHARS) return this.ranks.count(text.slice(start, end))
    const hash = PreTokenMemo.hash(text, start, end)
    const known = this.memo.get(text, start, end, hash)
    if (known >= 0) return known
    const piece = text.slice(start, end)
    const tokens = this.ranks.count(piece)
    this.memo.set(piece, hash, tokens)
    return tokens
  }
}

/**
 * Builds the counter of one encoding, loading its rank table on first use (≈ 0.1 s for cl100k_base).
 * Pass the execution's shared state to build it once per execution rather than once per adapter
 * instance.
 */
export async function loadTokenCounter(encoding: TokenEncoding, shared?: Map<string, unknown>): Promise<TokenCounter> {
  const key = `markdown.token_counter.${encoding}`
  const existing = shared?.get(key) as Promise<TokenCounter> | undefined
  if (existing) return existing
  const loading = (async () => {
    const {default: ranks} = await RANKS[encoding]()
    const preTokenEnd = encoding === 'cl100k_base' ? cl100kPreTokenEnd : patternPreTokenEnd(ranks.pat_str)
    return new MemoisedTokenCounter(encoding, BytePairRanks.fromTiktokenRanks(ranks.bpe_ranks), preTokenEnd)
  })()
  shared?.set(key, loading)
  try {
    return await loading
  } catch (error) {
    shared?.delete(key)
    throw error
  }
}
