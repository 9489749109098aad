import {describe, expect, it} from 'vitest'

import {CitationFilter, citedIndexes} from './citation-filter.js'

function filtered(deltas: string[], sources: number): string {
  const filter = new CitationFilter(sources)
  return deltas.map((delta) => filter.push(delta)).join('') + filter.end()
}

describe('CitationFilter', () => {
  it('keeps citations of retrieved passages and drops those of passages that were not given, across deltas', () => {
    expect(filtered(['Use retries [1]', ' and dead letters [', '7]. Also [2', ', 9] and [3]'], 3)).toBe('Use retries [1] and dead letters . Also [2] and [3]')
  })

  it('passes bracketed text that is not a citation, and an unfinished bracket at the end', () => {
    expect(filtered(['see [the docs] or a[i]', ' and [0] then [2'], 2)).toBe('see [the docs] or a[i] and  then [2')
    expect(filtered(['[[1]]'], 1)).toBe('[[1]]')
  })

  it('lists the passages an answer cites', () => {
    expect(citedIndexes('a [2] b [1, 3] c [2]')).toEqual([2, 1, 3])
  })
})
