import {describe, expect, it} from 'vitest'

import {extractTitle} from './html-title.js'

describe('extractTitle', () => {
  it('reads the title with entities decoded and whitespace collapsed', () => {
    expect(extractTitle('<html><head><title lang="en">\n  Caf&eacute;? No: Tom &amp; Jerry &#8211; &#x263A;\n</title>')).toBe('Caf&eacute;? No: Tom & Jerry – ☺')
  })

  it('returns undefined without a title or with an empty one', () => {
    expect(extractTitle('<html><body>no title</body></html>')).toBeUndefined()
    expect(extractTitle('<title>   </title>')).toBeUndefined()
  })

  it('ignores a <titlebar> element and stops at the first title', () => {
    expect(extractTitle('<titlebar>x</titlebar><title>First</title><title>Second</title>')).toBe('First')
  })
})
