import {ENGLISH_STOPWORDS} from '../embeddings/english-stopwords.js'
import {contentStems} from '../search/word-stems.js'
import type {ChatSource} from './chat-types.js'

const WORD = /[\p{L}\p{N}]+/gu
/** Sentences in an answer, at most (one per passage). */
const MAX_SENTENCES = 3
const MAX_SENTENCE_CHARS = 400

/** The content words of a text, lower-case (function words dropped). */
export function contentWords(text: string): Set<string> {
  const words = new Set<string>()
  for (const match of text.toLowerCase().matchAll(WORD)) {
    if (!ENGLISH_STOPWORDS.has(match[0]) && match[0].length > 1) words.add(match[0])
  }
  return words
}

function stems(text: string): Set<string> {
  return new Set(contentStems(text))
}

/**
 * The `local` profile's answer (docs/reference/server.md: offline, extractive): the sentences of the retrieved
 * passages that best match the question, at most three and at most one per passage, in passage
 * order, each followed by the citation of its passage. A sentence scores the inverse sentence
 * frequency (among the passages' sentences) of each question word stem it holds, so the word that
 * singles out the topic ("thread") outweighs one every passage has ("function"); words only the
 * standalone query has (the earlier question of a follow-up) count half, and earlier passages
 * (ranked higher) get a small bonus. A sentence repeated (several passages, or one passage listing
 * cases alike) is one sentence. Nothing is generated, so nothing is made up; with no sentence
 * sharing a word, the best passage's first sentence stands for it.
 */
export function extractiveAnswer(question: string, sources: readonly ChatSource[], query = question): string {
  const wanted = stems(question)
  const context = [...stems(query)].filter((word) => !wanted.has(word))
  const seen = new Set<string>()
  const sentences = sources
    .flatMap((source) => sentencesOf(source.text).map((text, order) => ({source: source.index, order, text, words: stems(text)})))
    .filter((sentence) => !seen.has(sentence.text) && seen.add(sentence.text))
  const frequency = new Map<string, number>()
  for (const sentence of sentences) for (const word of sentence.words) frequency.set(word, (frequency.get(word) ?? 0) + 1)
  const weight = (word: string) => Math.log(1 + sentences.length / (1 + (frequency.get(word) ?? 0)))
  const scored: Array<{source: number; order: number; text: string; score: number}> = []
  for (const sentence of sentences) {
    let shared = 0
    for (const word of wanted) if (sentence.words.has(word)) shared += weight(word)
    for (const word of context) if (sentence.words.has(word)) shared += 0.5 * weight(word)
    // Earlier passages ranked higher: a small bonus breaks ties in their favour.
    if (shared > 0) scored.push({...sentence, score: shared + 0.5 / sentence.source})
  }
  // One sentence per passage first: three passages' best sentences cover more of what was retrieved
  // than one passage's three (docs/decisions.md, "Chat answers: one sentence per passage"). With
  // fewer passages than sentences to say, the next best sentences fill up (one retrieved passage
  // would otherwise give its best-scoring sentence only, which may be the one the follow-up's
  // context words favour and not the one that answers).
  const best: typeof scored = []
  const ranked = scored.sort((a, b) => b.score - a.score)
  for (const sentence of ranked) {
    if (best.length === MAX_SENTENCES) break
    if (!best.some((chosen) => chosen.source === sentence.source)) best.push(sentence)
  }
  for (const sentence of ranked) {
    if (best.length === MAX_SENTENCES) break
    if (!best.includes(sentence)) best.push(sentence)
  }
  best.sort((a, b) => a.source - b.source || a.order - b.order)
  if (best.length === 0 && sources[0] !== undefined) {
    const first = sentencesOf(sources[0].text)[0]
    if (first !== undefined) best.push({source: sources[0].index, order: 0, text: first, score: 0})
  }
  return best.map((sentence) => `${withStop(sentence.text)} [${sentence.source}]`).join(' ')
}

/** Prose sentences of a markdown passage: headings, fences and table rules dropped, list items kept as sentences. */
export function sentencesOf(markdown: string): string[] {
  const sentences: string[] = []
  let inFence = false
  const paragraph: string[] = []
  const flush = () => {
    const text = paragraph.join(' ').replace(/\s+/g, ' ').trim()
    paragraph.length = 0
    for (const sentence of text.split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}("'`*_[])/u)) {
      const clean = plainText(sentence)
      if (contentWords(clean).size > 0) sentences.push(clean.length > MAX_SENTENCE_CHARS ? `${clean.slice(0, MAX_SENTENCE_CHARS - 1)}…` : clean)
    }
  }
  for (const line of markdown.split('\n')) {
    const trimmed = line.trim()
    if (/^(```|~~~)/.test(trimmed)) { inFence = !inFence; flush(); continue }
    if (inFence) continue
    if (trimmed === '' || /^#{1,6}\s/.test(trimmed) || /^\|?\s*:?-{3,}/.test(trimmed)) { flush(); continue }
    if (/^([-*+]|\d+[.)])\s+/.test(trimmed)) { flush(); paragraph.push(trimmed.replace(/^([-*+]|\d+[.)])\s+/, '')); flush(); continue }
    paragraph.push(trimmed)
  }
  flush()
  return sentences
}

/** Markdown links and emphasis as their text. */
function plainText(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/\s*\[\d+(?:\s*,\s*\d+)*\]/g, '')
    .trim()
}

function withStop(sentence: string): string {
  return /[.!?…:]$/.test(sentence) ? sentence : `${sentence}.`
}
