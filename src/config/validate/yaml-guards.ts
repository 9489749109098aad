import {isAlias, isMap, isPair, isSeq, type Node} from 'yaml'

import {MAX_DEPTH} from './limits.js'

/**
 * The offset where `[`/`{` nesting passes MAX_DEPTH, if it does. The YAML parser recurses per flow
 * level and recovers from each stack overflow slowly, so hostile nesting is refused before parsing.
 * Quotes and comments are skipped; brackets inside plain scalars may over-count, never under-count
 * a real nesting, and no real pipeline comes near the limit.
 */
export function flowDepthExceeded(text: string): number | undefined {
  let depth = 0
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (char === '[' || char === '{') {
      if (++depth > MAX_DEPTH) return index
    } else if (char === ']' || char === '}') {
      if (depth > 0) depth--
    } else if (char === '"' || char === "'") {
      const close = text.indexOf(char, index + 1)
      const newline = text.indexOf('\n', index + 1)
      // An unterminated quote on its line is left to the parser; skip only well-formed strings.
      if (close !== -1 && (char === '"' || newline === -1 || close < newline || depth > 0)) index = close
    } else if (char === '#' && (index === 0 || text[index - 1] === ' ' || text[index - 1] === '\n' || text[index - 1] === '\t')) {
      const newline = text.indexOf('\n', index)
      index = newline === -1 ? text.length : newline
    }
  }
  return undefined
}

export interface AnchorDefinition {
  offset: number
  node: Node
}

/**
 * Every anchor of the document by name, in source order. yaml's own `Alias.resolve` searches the
 * whole document per alias, which is quadratic on a file with thousands of aliases.
 */
export function collectAnchors(root: unknown): Map<string, AnchorDefinition[]> {
  const anchors = new Map<string, AnchorDefinition[]>()
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (node === null || typeof node !== 'object' || isAlias(node)) continue
    if (isPair(node)) {
      stack.push(node.value, node.key)
      continue
    }
    const anchor = (node as {anchor?: string}).anchor
    const range = (node as {range?: [number, number, number]}).range
    if (anchor !== undefined && range) {
      const list = anchors.get(anchor) ?? []
      list.push({offset: range[0], node: node as Node})
      anchors.set(anchor, list)
    }
    if (isMap(node) || isSeq(node)) for (let index = node.items.length - 1; index >= 0; index--) stack.push(node.items[index])
  }
  for (const list of anchors.values()) list.sort((a, b) => a.offset - b.offset)
  return anchors
}
