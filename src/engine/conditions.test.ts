import {describe, expect, it} from 'vitest'

import type {Condition} from '../config/pipeline-schema.js'
import {evaluateCondition} from './conditions.js'

const subject = {
  payload: {url: 'https://example.com/a', status: 200, tags: ['x', 'y'], nested: {lang: 'de'}, empty: null},
  metadata: {source: 'sitemap'},
}
const holds = (c: Condition) => evaluateCondition(c, subject)

describe('evaluateCondition', () => {
  it('compares equality on dotted payload paths and metadata', () => {
    expect(holds({field: 'nested.lang', operator: 'equals', value: 'de'})).toBe(true)
    expect(holds({field: 'metadata.source', operator: 'equals', value: 'sitemap'})).toBe(true)
    expect(holds({field: 'status', operator: 'not_equals', value: 200})).toBe(false)
  })

  it('checks membership, containment and regular expressions', () => {
    expect(holds({field: 'status', operator: 'in', value: [200, 201]})).toBe(true)
    expect(holds({field: 'status', operator: 'not_in', value: [200]})).toBe(false)
    expect(holds({field: 'tags', operator: 'contains', value: 'y'})).toBe(true)
    expect(holds({field: 'url', operator: 'contains', value: 'example'})).toBe(true)
    expect(holds({field: 'url', operator: 'matches', value: '^https://'})).toBe(true)
    expect(holds({field: 'url', operator: 'not_matches', value: '^https://'})).toBe(false)
  })

  it('treats null and absent fields as not existing', () => {
    expect(holds({field: 'empty', operator: 'exists'})).toBe(false)
    expect(holds({field: 'missing.deep', operator: 'not_exists'})).toBe(true)
    expect(holds({field: 'url', operator: 'exists'})).toBe(true)
  })

  it('compares numbers and refuses to compare non-numbers', () => {
    expect(holds({field: 'status', operator: 'gte', value: 200})).toBe(true)
    expect(holds({field: 'status', operator: 'lt', value: 200})).toBe(false)
    expect(holds({field: 'url', operator: 'gt', value: 1})).toBe(false)
  })

  it('composes all, any and not', () => {
    expect(holds({all: [{field: 'status', operator: 'equals', value: 200}, {not: {field: 'empty', operator: 'exists'}}]})).toBe(true)
    expect(holds({any: [{field: 'status', operator: 'equals', value: 500}, {field: 'tags', operator: 'contains', value: 'z'}]})).toBe(false)
  })
})
