import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {protectCodeBlocks, restoreCodeBlocks} from './code-blocks.js'

describe('protectCodeBlocks', () => {
  it('swaps fenced blocks for tokens on their own lines', () => {
    const {text, blocks} = protectCodeBlocks('Intro\n```js\nconst a = 1\n```\nMid\n> ~~~\n> quoted\n> ~~~\nEnd')
    expect(text).toBe('Intro\n@@CODE_0@@\nMid\n@@CODE_1@@\nEnd')
    expect(blocks).toEqual(['```js\nconst a = 1\n```', '> ~~~\n> quoted\n> ~~~'])
  })

  it('runs an unclosed fence to the end and needs a closing fence at least as long', () => {
    expect(protectCodeBlocks('a\n````\n```\nstill code\n').blocks).toEqual(['````\n```\nstill code'])
  })

  it('leaves inline code with triple backticks in the text', () => {
    expect(protectCodeBlocks('use ```x``` inline\n').blocks).toEqual([])
  })

  it('restores every input byte for byte', () => {
    const line = fc.oneof(fc.constantFrom('```', '~~~', '````', '```ts', '  ```', '> ```', '', '\r'), fc.string())
    fc.assert(fc.property(fc.array(line), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
      const input = lines.join(eol)
      const {text, blocks} = protectCodeBlocks(input)
      const restored = restoreCodeBlocks(text, blocks)
      expect(restored.missing).toEqual([])
      expect(restored.text).toBe(input)
    }))
  })

  it('reports the tokens an answer dropped', () => {
    const {blocks} = protectCodeBlocks('```\na\n```\n```\nb\n```\n')
    expect(restoreCodeBlocks('@@CODE_1@@', blocks)).toEqual({text: '```\nb\n```', missing: [0]})
  })
})
