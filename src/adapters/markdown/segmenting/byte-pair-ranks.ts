/**
 * One encoding's BPE merge ranks and the token count of a pre-token under them: the counting half of
 * tiktoken, without token ids. Why not js-tiktoken's encoder (which the counter used before): it
 * builds its tables in ~0.5 s (every token decoded to a byte array, keyed by `bytes.join(',')`) and
 * merges a word by joining byte arrays into strings for every pair at every step (≈ 25 µs per new
 * word here); together they were most of smart_segmenter's CPU. Here a byte sequence is a string of
 * char codes 0–255 (what `atob` returns), so the table loads in ~70 ms and a merge step looks up a
 * substring. The merge rule is tiktoken's (and js-tiktoken's): repeatedly join the adjacent pair
 * whose joined bytes have the lowest rank, the leftmost on a tie, until no joined pair has a rank.
 * The tests compare counts with js-tiktoken on every fixture, on random text and in every encoding.
 */
export class BytePairRanks {
  private constructor(private readonly ranks: Map<string, number>) {}

  /** Reads the `bpe_ranks` string of a js-tiktoken rank module (`! <first rank> <base64 token>…` lines). */
  static fromTiktokenRanks(bpeRanks: string): BytePairRanks {
    const ranks = new Map<string, number>()
    let lineStart = 0
    while (lineStart < bpeRanks.length) {
      let lineEnd = bpeRanks.indexOf('\n', lineStart)
      if (lineEnd === -1) lineEnd = bpeRanks.length
      const fields = bpeRanks.slice(lineStart, lineEnd).split(' ')
      const first = Number.parseInt(fields[1], 10)
      for (let i = 2; i < fields.length; i++) ranks.set(atob(fields[i]), first + i - 2)
      lineStart = lineEnd + 1
    }
    return new BytePairRanks(ranks)
  }

  /** How many tokens one pre-token encodes to (`js-tiktoken`'s `encode(piece, [], []).length` for a single pre-token). */
  count(piece: string): number {
    const bytes = toByteString(piece)
    if (bytes.length <= 1 || this.ranks.has(bytes)) return bytes.length === 0 ? 0 : 1
    return this.merge(bytes)
  }

  /**
   * Tiktoken's merge loop over part boundaries (`starts`, the end included). O(n·m) for n bytes and
   * m merges, as tiktoken's own below 500 bytes; pre-tokens are words, numbers of at most three
   * digits, punctuation and whitespace runs, so n is small.
   */
  private merge(bytes: string): number {
    const ranks = this.ranks
    const starts: number[] = []
    for (let i = 0; i <= bytes.length; i++) starts.push(i)
    // pairRanks[i]: rank of parts i and i + 1 joined (Infinity when they do not join to a token).
    const pairRanks: number[] = []
    for (let i = 0; i + 2 < starts.length; i++) pairRanks.push(ranks.get(bytes.slice(starts[i], starts[i + 2])) ?? Infinity)
    for (;;) {
      let best = Infinity
      let at = -1
      for (let i = 0; i < pairRanks.length; i++) {
        if (pairRanks[i] < best) {
          best = pairRanks[i]
          at = i
        }
      }
      if (at === -1) break
      starts.splice(at + 1, 1)
      pairRanks.splice(at, 1)
      if (at > 0) pairRanks[at - 1] = ranks.get(bytes.slice(starts[at - 1], starts[at + 1])) ?? Infinity
      if (at < pairRanks.length) pairRanks[at] = ranks.get(bytes.slice(starts[at], starts[at + 2])) ?? Infinity
    }
    // Every single byte has a rank in tiktoken's encodings, so each part is one token.
    return starts.length - 1
  }
}

const ASCII_ONLY = /^[\x00-\x7f]*$/

/** The UTF-8 bytes of `text` as a string of char codes 0–255 (lone surrogates as U+FFFD, as TextEncoder does). */
function toByteString(text: string): string {
  return ASCII_ONLY.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1')
}
