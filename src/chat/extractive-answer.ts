import {ENGLISH_STOPWORDS} from '../embeddings/english-stopwords.js'
import type {ChatSource} from './chat-types.js'

const WORD = /[\p{L}\p{N}]+/gu
/** Sentences in an answer, at most. */
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

/** A crude English stem (keeps, keeping → keep; not kept): enough to match a question's words in sentences. */
function stem(word: string): string {
  if (word.length <= 4) return word
  return word.replace(/(?:ing|ed|es|s)$/, '')
}

function stems(text: string): Set<string> {
  return new Set([...contentWords(text)].map(stem))
}

/**
 * The `local` profile's answer (docs/reference/server.md: offline, extractive): the sentences of the retrieved
 * passages that share the most content words with the question (and, at half weight, with the
 * standalone query it was retrieved with), at most three, in passage order,
 * each followed by the citation of its passage. Nothing is generated, so nothing is made up; with
 * no sentence sharing a word, the best passage's first sentence stands for it.
 */
export function extractiveAnswer(question: string, sources: readonly ChatSource[], query = question): string {
  const wanted = stems(question)
  // Words only the standalone query has (the earlier question of a follow-up) count half.
  const context = [...stems(query)].filter((word) => !wanted.has(word))
  const scored: Array<{source: number; order: number; text: string; score: number}> = []
  for (const source of sources) {
    sentencesOf(source.text).forEach((text, order) => {
      const words = stems(text)
      let shared = 0
      for (const word of wanted) if (words.has(word)) shared++
      for (const word of context) if (words.has(word)) shared += 0.5
      // Earlier passages ranked higher: a small bonus breaks ties in their favour.
      if (shared > 0) scored.push({source: source.index, order, text, score: shared + 0.5 / source.index})
    })
  }
  const best = scored.sort((a, b) => b.score - a.score).slice(0, MAX_SENTENCES)
    .sort((a, b) => a.source - b.source || a.order - b.order)
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
