/**
 * Where a pre-token that starts at `start` ends (`start < text.length`). Pre-tokens tile the text:
 * the next one starts where this one ends.
 */
export type PreTokenEnd = (text: string, start: number) => number

/** A scanner over any encoding's `pat_str` (sticky, so each match must start where the last ended). */
export function patternPreTokenEnd(patStr: string): PreTokenEnd {
  const pattern = new RegExp(patStr, 'uy')
  return (text, start) => {
    pattern.lastIndex = start
    // Every character matches one of tiktoken's alternatives, so a match at `start` always exists.
    return pattern.exec(text) === null ? text.length : pattern.lastIndex
  }
}

const LETTER = 1
const NUMBER = 2
/** `\s` other than `\r` and `\n`. */
const SPACE = 3
const LINE_END = 4
const OTHER = 5

const IS_LETTER = /^\p{L}$/u
const IS_NUMBER = /^\p{N}$/u
const IS_SPACE = /^\s$/u

function classifyCodePoint(codePoint: number): number {
  if (codePoint === 0x0a || codePoint === 0x0d) return LINE_END
  const char = String.fromCodePoint(codePoint)
  if (IS_LETTER.test(char)) return LETTER
  if (IS_NUMBER.test(char)) return NUMBER
  return IS_SPACE.test(char) ? SPACE : OTHER
}

/**
 * Classes of the basic multilingual plane, filled as code points are met (0 = not yet known); astral
 * ones in a map. Module-level on purpose: Unicode's properties, the same for every counter and run.
 */
const BMP = new Uint8Array(0x10000)
const ASTRAL = new Map<number, number>()
for (let c = 0; c < 0x80; c++) BMP[c] = classifyCodePoint(c)

/** The class of the code point at `i` and its width in UTF-16 units (class × 4 + width; 0 at the end). */
function classAt(text: string, i: number): number {
  if (i >= text.length) return 0
  const unit = text.charCodeAt(i)
  if (unit < 0xd800 || unit > 0xdbff || i + 1 >= text.length) {
    // A lone surrogate is a code point of its own for a `u` pattern: neither letter, number nor space.
    const known = BMP[unit]
    return (known === 0 ? (BMP[unit] = classifyCodePoint(unit)) : known) * 4 + 1
  }
  const low = text.charCodeAt(i + 1)
  if (low < 0xdc00 || low > 0xdfff) return OTHER * 4 + 1
  const codePoint = (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000
  let known = ASTRAL.get(codePoint)
  if (known === undefined) ASTRAL.set(codePoint, known = classifyCodePoint(codePoint))
  return known * 4 + 2
}

const APOSTROPHE = 0x27
const BLANK = 0x20

/** Letters after `'` that make a contraction alone (`'s`, `'t`, `'m`, `'d`, any case). */
function shortContraction(unit: number): boolean {
  const lower = unit | 0x20
  return lower === 0x73 || lower === 0x74 || lower === 0x6d || lower === 0x64
}

/** `re`, `ve`, `ll` after `'`, any case. */
function longContraction(first: number, second: number): boolean {
  const a = first | 0x20
  const b = second | 0x20
  return ((a === 0x72 || a === 0x76) && b === 0x65) || (a === 0x6c && b === 0x6c)
}

/**
 * cl100k_base's pre-tokeniser written out by hand (its `pat_str` through V8's regex engine was
 * most of the counter's time, with a match array per pre-token):
 *
 *     (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *     | \s*[\r\n]+ | \s+(?!\S) | \s+
 *
 * The first alternative that matches wins, each greedy with the pattern's backtracking worked out:
 * `\s*[\r\n]+` ends after the last line end of the whitespace run; `\s+(?!\S)` leaves the run's
 * last character to the next pre-token when a non-space follows. The tests compare it with the
 * pattern on the fixtures and on random text of every character class.
 */
export const cl100kPreTokenEnd: PreTokenEnd = (text, start) => {
  const unit = text.charCodeAt(start)
  if (unit === APOSTROPHE && start + 1 < text.length) {
    const next = text.charCodeAt(start + 1)
    if (shortContraction(next)) return start + 2
    if (start + 2 < text.length && longContraction(next, text.charCodeAt(start + 2))) return start + 3
  }
  const first = classAt(text, start)
  const kind = first >> 2
  let i = start + (first & 3)
  if (kind === LETTER || ((kind === SPACE || kind === OTHER) && classAt(text, i) >> 2 === LETTER)) {
    for (let at = classAt(text, i); at >> 2 === LETTER; at = classAt(text, i)) i += at & 3
    return i
  }
  if (kind === NUMBER) {
    for (let n = 1, at = classAt(text, i); n < 3 && at >> 2 === NUMBER; n++, at = classAt(text, i)) i += at & 3
    return i
  }
  if (kind === OTHER || (unit === BLANK && classAt(text, i) >> 2 === OTHER)) {
    for (let at = classAt(text, i); at >> 2 === OTHER; at = classAt(text, i)) i += at & 3
    while (i < text.length && (text.charCodeAt(i) === 0x0a || text.charCodeAt(i) === 0x0d)) i++
    return i
  }
  // Whitespace: the run is [start, end); spaces are single UTF-16 units.
  let end = i
  let afterLineEnd = kind === LINE_END ? i : -1
  for (let at = classAt(text, end); at >> 2 === SPACE || at >> 2 === LINE_END; at = classAt(text, end)) {
    end++
    if (at >> 2 === LINE_END) afterLineEnd = end
  }
  if (afterLineEnd !== -1) return afterLineEnd
  if (end === text.length || end - start === 1) return end
  return end - 1
}
