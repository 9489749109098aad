import {describe, expect, it} from 'vitest'

import type {ChatSource} from './chat-types.js'
import {extractiveAnswer} from './extractive-answer.js'

function passage(index: number, text: string): ChatSource {
  return {index, title: `Page ${index}`, url: `https://example.test/${index}.html`, score: 1 / index, text, document_id: `doc-${index}`, segment_index: 0}
}

describe('extractiveAnswer', () => {
  it('answers with the best sentence of each passage, at most three, in passage order', () => {
    const sources = [
      passage(1, 'Vacuum reclaims storage occupied by dead tuples. Vacuum full rewrites the table to reclaim more space. Plain vacuum runs alongside reads and writes.'),
      passage(2, 'Autovacuum runs vacuum for you. It reclaims space on a schedule.'),
      passage(3, 'The free space map tracks the space vacuum reclaims.'),
      passage(4, 'Tables are stored in files of one gigabyte.'),
    ]
    const answer = extractiveAnswer('How does vacuum reclaim space?', sources)
    const cited = [...answer.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]))
    expect(cited).toEqual([1, 2, 3])
    expect(answer).toContain('Vacuum full rewrites the table to reclaim more space. [1]')
  })

  it('says a sentence repeated across passages once', () => {
    const repeated = 'Changes to these settings take effect when the configuration is reloaded.'
    const sources = [passage(1, `${repeated} Other text.`), passage(2, `Unrelated words here. ${repeated}`), passage(3, 'The configuration settings of a session are changed with SET.')]
    const answer = extractiveAnswer('How are configuration settings changed?', sources)
    expect(answer.split(repeated).length - 1).toBe(1)
    expect(answer).toContain('[3]')
  })

  it('falls back to the best passage\'s first sentence when no sentence shares a word with the question', () => {
    expect(extractiveAnswer('zebra?', [passage(1, 'First sentence here. Second one.'), passage(2, 'Other.')])).toBe('First sentence here. [1]')
  })
})
