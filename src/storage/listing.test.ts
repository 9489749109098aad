import {describe, expect, it} from 'vitest'

import {collectListing, compareKeys, foldKey, type ListingEntry} from './listing.js'

async function* stream<T>(entries: Array<ListingEntry<T>>): AsyncGenerator<ListingEntry<T>> {
  yield* entries
}

describe('listing helpers', () => {
  it('orders keys by UTF-8 bytes, as S3 does', () => {
    const keys = ['a/b', 'a-b', '\u{1F600}', '\uFF5E', 'ab']
    expect([...keys].sort(compareKeys)).toEqual(['a-b', 'a/b', 'ab', '\uFF5E', '\u{1F600}'])
  })

  it('folds a key into the common prefix up to the first delimiter after the prefix', () => {
    expect(foldKey('a/b/c', 1, 'a/', '/')).toEqual({kind: 'prefix', key: 'a/b/'})
    expect(foldKey('a/b', 1, 'a/', '/')).toEqual({kind: 'object', key: 'a/b', value: 1})
    expect(foldKey('a/b/c', 1, 'a/', undefined)).toEqual({kind: 'object', key: 'a/b/c', value: 1})
  })

  it('stops reading the stream once a page is full and one more entry is seen', async () => {
    let pulled = 0
    async function* counting(): AsyncGenerator<ListingEntry<number>> {
      for (let i = 0; i < 1000; i++) {
        pulled++
        yield {kind: 'object', key: `k${String(i).padStart(4, '0')}`, value: i}
      }
    }
    const page = await collectListing(counting(), {limit: 3})
    expect(page.objects).toEqual([0, 1, 2])
    expect(page.next_cursor).toBeDefined()
    expect(pulled).toBe(4)
  })

  it('skips keys under a common prefix the previous page ended with', async () => {
    const first = await collectListing(stream<number>([{kind: 'prefix', key: 'a/'}, {kind: 'object', key: 'b', value: 1}]), {limit: 1})
    const second = await collectListing(stream<number>([
      {kind: 'prefix', key: 'a/'}, {kind: 'object', key: 'a/x', value: 0}, {kind: 'object', key: 'b', value: 1},
    ]), {cursor: first.next_cursor})
    expect(second).toEqual({objects: [1], common_prefixes: []})
  })
})
