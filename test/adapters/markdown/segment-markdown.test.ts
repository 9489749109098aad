import fc from 'fast-check'
import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import {beforeAll, describe, expect, it} from 'vitest'

import {parseMarkdownBlocks} from '../../../src/adapters/markdown/segmenting/markdown-blocks.js'
import {type MarkdownSegment, segmentMarkdown} from '../../../src/adapters/markdown/segmenting/segment-markdown.js'
import {loadTokenCounter, type TokenCounter} from '../../../src/adapters/markdown/segmenting/token-counter.js'

const WORDS = 'the queue route adapter message storage lineage broker segment token heading table code retry backoff execution replay metric'.split(' ')

/** Deterministic prose of about `words` words in sentences of eight. */
function prose(words: number, seed = 1): string {
  const out: string[] = []
  for (let i = 0; i < words; i++) {
    const word = WORDS[(i * 7 + seed * 13) % WORDS.length]
    out.push(i % 8 === 0 ? word[0].toUpperCase() + word.slice(1) : word)
    if (i % 8 === 7) out[out.length - 1] += '.'
  }
  return `${out.join(' ')}.`
}

function codeBlock(language: string, lines: number): string {
  const body = Array.from({length: lines}, (_, i) => `  value_${i} = compute(${i}, "${WORDS[i % WORDS.length]}")`)
  return ['```' + language, 'def run():', ...body, '```'].join('\n')
}

function table(rows: number): string {
  const lines = ['| Name | Type | Meaning |', '| --- | --- | --- |']
  for (let i = 0; i < rows; i++) lines.push(`| field_${i} | string | ${prose(6, i)} |`)
  return lines.join('\n')
}

describe('segmentMarkdown', () => {
  let counter: TokenCounter
  let reference: Tiktoken
  const exact = (text: string) => reference.encode(text, [], []).length
  const segment = (markdown: string, maxTokens = 128, minTokens = 16, overlapTokens = 0): MarkdownSegment[] =>
    segmentMarkdown(markdown, {maxTokens, minTokens, overlapTokens}, counter)

  beforeAll(async () => {
    reference = new Tiktoken(cl100k)
    counter = await loadTokenCounter('cl100k_base')
  }, 60_000)

  it('starts a segment at each heading when sections are large enough, with the heading path of each', () => {
    const markdown = ['# Guide', prose(30), '## Install', prose(60, 2), '### From npm', prose(60, 3), '## Configure', prose(60, 4)].join('\n\n')
    const segments = segment(markdown, 128, 16)
    expect(segments.map((s) => s.heading_path)).toEqual([
      ['Guide'], ['Guide', 'Install'], ['Guide', 'Install', 'From npm'], ['Guide', 'Configure'],
    ])
    expect(segments[1].text.startsWith('## Install\n\n')).toBe(true)
    expect(segments.map((s) => s.index)).toEqual([0, 1, 2, 3])
  })

  it('reports token counts equal to js-tiktoken on the final text of every segment', () => {
    const markdown = ['# Guide', prose(200), codeBlock('python', 20), table(12), '## Next', prose(90, 5)].join('\n\n')
    for (const s of segment(markdown, 96, 16)) expect(s.token_count).toBe(exact(s.text))
  })

  it('merges small neighbouring sections up to the budget and keeps their common heading path', () => {
    const markdown = ['# API', '## get', 'Reads one value.', '## put', 'Writes one value.', '## delete', 'Removes one value.'].join('\n\n')
    const segments = segment(markdown, 128, 64)
    expect(segments).toHaveLength(1)
    expect(segments[0].heading_path).toEqual(['API'])
    expect(segments[0].text).toBe(markdown)
  })

  it('leaves small sections apart when min_tokens is 0', () => {
    const markdown = ['## a', 'one', '## b', 'two'].join('\n\n')
    expect(segment(markdown, 128, 0).map((s) => s.text)).toEqual(['## a\n\none', '## b\n\ntwo'])
  })

  it('joins a heading that is followed at once by a sub-heading to that sub-section', () => {
    const markdown = ['## Operations', '### Running', prose(80), '### Monitoring', prose(80, 2)].join('\n\n')
    const segments = segment(markdown, 128, 32)
    expect(segments[0].text.startsWith('## Operations\n\n### Running\n\n')).toBe(true)
    expect(segments[0].heading_path).toEqual(['Operations', 'Running'])
  })

  it('keeps every segment within max_tokens and splits long prose at sentence ends', () => {
    const markdown = `# Long\n\n${prose(1200)}`
    const segments = segment(markdown, 100, 10)
    expect(segments.length).toBeGreaterThan(5)
    for (const s of segments) {
      expect(s.token_count).toBeLessThanOrEqual(100)
      expect(s.text.trimEnd()).toMatch(/\.$/)
      expect(s.heading_path).toEqual(['Long'])
    }
  })

  it('never cuts a code block that fits: it moves whole into the next segment', () => {
    const code = codeBlock('python', 6)
    const markdown = ['## Example', prose(70), code, prose(40, 2)].join('\n\n')
    const segments = segment(markdown, 128, 8)
    const holders = segments.filter((s) => s.text.includes('```python'))
    expect(holders).toHaveLength(1)
    expect(holders[0].text).toContain(code)
    for (const s of segments) expect(s.text.split('\n').filter((line) => line.startsWith('```')).length % 2).toBe(0)
  })

  it('splits a code block larger than max_tokens on line boundaries into complete fences that keep the language', () => {
    const code = codeBlock('python', 80)
    const segments = segment(`## Big\n\n${code}`, 128, 8)
    const pieces = segments.filter((s) => s.text.includes('```python'))
    expect(pieces.length).toBeGreaterThan(2)
    const bodies: string[] = []
    for (const s of pieces) {
      expect(s.token_count).toBeLessThanOrEqual(128)
      const fenced = s.text.slice(s.text.indexOf('```python'))
      expect(fenced.endsWith('\n```')).toBe(true)
      bodies.push(...fenced.split('\n').slice(1, -1))
    }
    expect(bodies).toEqual(code.split('\n').slice(1, -1))
  })

  it('keeps a table larger than max_tokens whole as one oversized segment of its own', () => {
    const big = table(40)
    const markdown = ['## Metrics', prose(20), big, prose(20, 3)].join('\n\n')
    const segments = segment(markdown, 128, 8)
    const oversized = segments.filter((s) => s.token_count > 128)
    expect(oversized).toHaveLength(1)
    expect(oversized[0].text).toBe(big)
    expect(oversized[0].heading_path).toEqual(['Metrics'])
  })

  it('never splits a table that fits', () => {
    const small = table(4)
    const markdown = ['## T', prose(90), small, prose(30)].join('\n\n')
    const segments = segment(markdown, 128, 8)
    expect(segments.filter((s) => s.text.includes('| Name | Type | Meaning |'))).toHaveLength(1)
    expect(segments.some((s) => s.text.includes(small))).toBe(true)
  })

  it('starts each segment after the first with the tail of the previous prose when overlap_tokens is set', () => {
    const markdown = `# Doc\n\n${[prose(150, 1), prose(150, 2), prose(150, 3)].join('\n\n')}`
    const plain = segment(markdown, 128, 8, 0)
    const overlapped = segment(markdown, 128, 8, 24)
    expect(overlapped.length).toBeGreaterThanOrEqual(plain.length)
    for (let i = 1; i < overlapped.length; i++) {
      const [head] = overlapped[i].text.split('\n\n')
      expect(overlapped[i - 1].text.endsWith(head)).toBe(true)
      expect(exact(head)).toBeLessThanOrEqual(25)
      expect(overlapped[i].token_count).toBeLessThanOrEqual(128)
      expect(overlapped[i].token_count).toBe(exact(overlapped[i].text))
    }
  })

  it('adds no overlap after a segment that ends in code', () => {
    const markdown = ['## A', codeBlock('js', 20), '## B', prose(100)].join('\n\n')
    const segments = segment(markdown, 200, 8, 32)
    const after = segments.findIndex((s) => s.text.includes('## B'))
    expect(segments[after].text.startsWith('## B')).toBe(true)
  })

  it('reads setext headings, front matter and CRLF line ends', () => {
    const markdown = '---\ntitle: Notes\n---\r\nNotes\r\n=====\r\n\r\nIntro text.\r\n\r\nDetails\r\n-------\r\n\r\nMore text.\r\n'
    const blocks = parseMarkdownBlocks(markdown)
    expect(blocks.map((b) => [b.kind, b.headingPath])).toEqual([
      ['front_matter', []], ['heading', ['Notes']], ['text', ['Notes']], ['heading', ['Notes', 'Details']], ['text', ['Notes', 'Details']],
    ])
  })

  it('does not take headings inside fenced code or a table header after text as structure', () => {
    const markdown = ['# Real', '```md\n# not a heading\n```', 'Intro line\n| a | b |\n| --- | --- |\n| 1 | 2 |', '~~~\nunclosed # fence'].join('\n\n')
    const blocks = parseMarkdownBlocks(markdown)
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'code', 'text', 'table', 'code'])
    expect(blocks[3].text).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |')
    expect(blocks.every((b) => b.headingPath.join() === 'Real')).toBe(true)
  })

  it('strips links, emphasis and escapes from heading paths', () => {
    const blocks = parseMarkdownBlocks('## The [`storage_key`](https://x.org) \\_field\\_ **now** ##')
    expect(blocks[0].headingPath).toEqual(['The storage_key _field_ now'])
  })

  it('gives no segments for empty markdown', () => {
    expect(segment('')).toEqual([])
    expect(segment('\n\n  \n')).toEqual([])
  })

  it('reports exact counts for blocks ending in any character, joined without a recount', () => {
    const piece = fc.constantFrom('word', 'Wörter', '中文', '🙂', '42', '.', '!?', ')', '"', "'s", ' ', '  ', '\t', '#', '|', '-', '`', 'é', 'ß')
    const paragraph = fc.array(piece, {minLength: 1, maxLength: 30}).map((parts) => parts.join('').trim()).filter((text) => text !== '')
    fc.assert(fc.property(fc.array(paragraph, {minLength: 1, maxLength: 30}), fc.integer({min: 16, max: 120}), (paragraphs, maxTokens) => {
      const segments = segment(paragraphs.join('\n\n'), maxTokens, maxTokens, 0)
      return segments.every((s) => s.token_count === exact(s.text))
    }), {numRuns: 300})
  })

  it('holds its invariants on random documents: budget, exact counts, whole code blocks, all content in order', () => {
    const block = fc.oneof(
      fc.integer({min: 1, max: 6}).map((level) => `${'#'.repeat(level)} Heading ${level}`),
      fc.integer({min: 1, max: 220}).map((n) => prose(n, n)),
      fc.integer({min: 1, max: 40}).map((n) => codeBlock('go', n)),
      fc.integer({min: 1, max: 8}).map((n) => table(n)),
      fc.integer({min: 1, max: 6}).map((n) => Array.from({length: n}, (_, i) => `- item ${i}: ${prose(5, i)}`).join('\n')),
    )
    fc.assert(fc.property(
      fc.array(block, {minLength: 1, maxLength: 25}), fc.integer({min: 48, max: 400}), fc.integer({min: 0, max: 60}), fc.integer({min: 0, max: 40}),
      (blocks, maxTokens, minTokens, overlapTokens) => {
        const markdown = blocks.join('\n\n')
        const segments = segment(markdown, maxTokens, Math.min(minTokens, maxTokens), overlapTokens)
        let cursor = 0
        for (const s of segments) {
          if (s.token_count !== exact(s.text)) return false
          const isTable = parseMarkdownBlocks(s.text).every((b) => b.kind === 'table')
          if (s.token_count > maxTokens && !isTable) {
            // Only a code line longer than the budget may exceed it, alone in its fence.
            const lines = s.text.split('\n')
            if (!(lines.length === 3 && lines[0].startsWith('```'))) return false
          }
          if (s.text.split('\n').filter((line) => line.startsWith('```')).length % 2 !== 0) return false
        }
        for (const original of blocks) {
          if (original.startsWith('```') && exact(original) <= maxTokens - (overlapTokens > 0 ? overlapTokens + 1 : 0)) {
            if (!segments.some((s) => s.text.includes(original))) return false
          }
          if (original.startsWith('|') && !segments.some((s) => s.text.includes(original))) return false
          // Every block's first line shows up, in document order.
          const firstLine = original.split('\n')[0].split(' ').slice(0, 3).join(' ')
          const at = segments.findIndex((s, i) => i >= cursor && s.text.includes(firstLine))
          if (at < 0) return false
          cursor = at
        }
        return true
      },
    ), {numRuns: 150})
  })
})
