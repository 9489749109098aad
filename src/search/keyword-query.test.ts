import {describe, expect, it} from 'vitest'

import {splitKeywordQuery} from './keyword-query.js'

describe('splitKeywordQuery', () => {
  it('keeps bare words as alternatives and drops the or operator', () => {
    expect(splitKeywordQuery('rabbitmq OR sourdough bread')).toEqual({required: '', words: 'rabbitmq sourdough bread'})
  })

  it('makes quoted phrases and excluded words required', () => {
    expect(splitKeywordQuery('-rabbitmq "in-memory broker" prefetch -"dead letter"'))
      .toEqual({required: '-rabbitmq "in-memory broker" -"dead letter"', words: 'prefetch'})
  })

  it('treats a lone dash and an unclosed quote as the user typed them', () => {
    expect(splitKeywordQuery('a - b "open phrase')).toEqual({required: '"open phrase', words: 'a - b'})
  })
})
