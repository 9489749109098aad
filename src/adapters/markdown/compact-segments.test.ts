import {describe, expect, it} from 'vitest'

import {compactSegments, expandSegments} from './smart-segmenter.js'

const seg = (index: number, text: string) => ({index, text, token_count: text.length, heading_path: ['A']})

describe('compactSegments / expandSegments', () => {
  const markdown = '# A\n\nfirst part\n\nsecond part\n\nthird part'

  it('keeps a found segment as its span and gives the same segments back', () => {
    const segments = [seg(0, '# A\n\nfirst part'), seg(1, 'part\n\nsecond part'), seg(2, 'third part')]
    const stored = compactSegments(segments, markdown)
    expect(stored).toEqual([
      {index: 0, token_count: 15, heading_path: ['A'], at: [0, 15]},
      {index: 1, token_count: 17, heading_path: ['A'], at: [11, 28]},
      {index: 2, token_count: 10, heading_path: ['A'], at: [30, 40]},
    ])
    expect(expandSegments(stored, markdown)).toEqual(segments)
  })

  it('keeps the text of a segment that is not in the markdown verbatim, and of an empty one', () => {
    const segments = [seg(0, 'first part second part'), seg(1, ''), seg(2, 'third part')]
    const stored = compactSegments(segments, markdown)
    expect(stored[0]).toEqual(segments[0])
    expect(stored[1]).toEqual(segments[1])
    expect(stored[2]).toMatchObject({at: [30, 40]})
    expect(expandSegments(stored, markdown)).toEqual(segments)
  })

  it('gives nothing back for a span outside the markdown', () => {
    expect(expandSegments([{index: 0, token_count: 1, heading_path: [], at: [0, markdown.length + 1]}], markdown)).toBeUndefined()
    expect(expandSegments([{index: 0, token_count: 1, heading_path: [], at: [5, 5]}], markdown)).toBeUndefined()
  })
})
