import {
  type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, Scalar,
} from 'yaml'

import {type EnvMap, resolvePlainScalar, substituteEnv} from '../env-substitution.js'
import {reportUnsetVariable} from './unset-variable.js'
import type {IssueCollector, Position} from '../issues.js'
import {appendSegment, formatPath, type PathSegment} from '../path.js'
import {MAX_ALIAS_NODES, MAX_DEPTH, MAX_DOCUMENT_BYTES} from './limits.js'
import {type AnchorDefinition, collectAnchors, flowDepthExceeded} from './yaml-guards.js'

const CORE_TAGS = new Set([
  '!', 'tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq',
])

/**
 * Reads pipeline text into plain values, recording every node's position and reporting the
 * YAML-level issues (E001–E006). Returns `undefined` when the document cannot be checked further
 * (syntax errors, empty document, root not a mapping, over the size limit).
 */
export function readYamlSource(text: string, env: EnvMap, issues: IssueCollector, allowedEnv?: ReadonlySet<string>): Record<string, unknown> | undefined {
  const start = {line: 1, column: 1}
  if (Buffer.byteLength(text, 'utf8') > MAX_DOCUMENT_BYTES) {
    issues.add('E004', [], `the document is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB`, {
      position: start, suggestion: 'split the pipeline or move large payloads out of the file',
    })
    return undefined
  }
  const tooDeep = flowDepthExceeded(text)
  if (tooDeep !== undefined) {
    issues.add('E004', [], `the document nests deeper than ${MAX_DEPTH} levels`, {position: {line: 1, column: 1}, suggestion: 'flatten the structure'})
    return undefined
  }
  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(text, {lineCounter, uniqueKeys: false, prettyErrors: false, strict: true})
  const position = (offset: number): Position => {
    const {line, col} = lineCounter.linePos(offset)
    return {line, column: col}
  }
  const list = [...documents]
  // An empty stream carries its own errors (a stray directive, say) instead of documents.
  if (list.length === 0) reportParseErrors((documents as {errors?: ParseError[]}).errors ?? [], issues, position, text)
  const first = list[0]
  if (first === undefined || (first.contents === null && first.errors.length === 0)) {
    if (!issues.hasErrors()) issues.add('E002', [], 'the document is empty', {position: start, suggestion: 'start with `version: "1.0"`'})
    return undefined
  }
  let syntaxErrors = false
  for (const document of list) {
    if (document.errors.length > 0) syntaxErrors = true
    reportParseErrors(document.errors, issues, position, text)
  }
  const extra = list.slice(1).filter((document) => document.contents !== null || document.errors.length > 0)
  if (extra.length > 0) {
    const second = extra[0]!
    issues.add('E005', [], `the file holds ${extra.length + 1} YAML documents; a pipeline file holds one`, {
      position: position(second.range[0]), suggestion: 'remove the `---` separator and put each pipeline in its own file',
    })
  }
  if (syntaxErrors) return undefined
  const root = first.contents
  if (!isMap(root)) {
    const kind = isSeq(root) ? 'a sequence' : 'a scalar'
    issues.add('E002', [], `the document root is ${kind}; a pipeline is a mapping`, {
      position: root?.range ? position(root.range[0]) : start, suggestion: 'start with `version: "1.0"` and `routes:`',
    })
    return undefined
  }
  const reader = new YamlReader(first, issues, env, position, allowedEnv)
  return reader.read(root) as Record<string, unknown>
}

interface ParseError {
  code: string
  message: string
  pos: [number, number]
}

function reportParseErrors(
  errors: readonly ParseError[],
  issues: IssueCollector,
  position: (offset: number) => Position,
  text: string,
): void {
  for (const error of errors) {
    const at = position(error.pos[0])
    if (error.code === 'RESOURCE_EXHAUSTION') {
      issues.add('E004', [], 'the document nests too deeply to be read', {
        position: {line: 1, column: 1}, suggestion: 'flatten the structure',
      })
      continue
    }
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    issues.add('E001', [], `YAML syntax error: ${message}`, {position: at, suggestion: syntaxHint(text, error.pos[0])})
  }
}

const FLOW_PLACEHOLDER = /[{[,]\s*[^"'\s]*\$\{|:\s+\$\{[^}\n]*\}\s*[,}\]]/

/** The one syntax mistake worth explaining: `${VAR}` unquoted inside `{ }` or `[ ]` ends the collection. */
function syntaxHint(text: string, offset: number): string | undefined {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1
  const before = text.lastIndexOf('\n', Math.max(0, start - 2)) + 1
  const end = text.indexOf('\n', offset)
  const lines = text.slice(before, end === -1 ? undefined : end)
  if (!FLOW_PLACEHOLDER.test(lines)) return undefined
  return 'quote `${…}` placeholders inside `{ }` and `[ ]`: `key: "${VAR}"`'
}

class YamlReader {
  private anchors?: Map<string, AnchorDefinition[]>
  private aliasNodes = 0
  /** The alias being expanded at the top level: where an alias bomb is reported. */
  private outermostAlias?: Node
  private aliasDepth = 0
  private readonly ancestors = new Set<Node>()
  /** Nodes already checked for node-level issues (reached again through aliases). */
  private readonly checked = new WeakSet<Node>()

  constructor(
    private readonly document: Document,
    private readonly issues: IssueCollector,
    private readonly env: EnvMap,
    private readonly position: (offset: number) => Position,
    private readonly allowedEnv: ReadonlySet<string> | undefined,
  ) {}

  read(root: Node): unknown {
    this.issues.index.record('', undefined, this.at(root))
    return this.convert(root, [], 0)
  }

  private at(node: unknown): Position | undefined {
    const range = (node as {range?: [number, number, number]} | null)?.range
    return range ? this.position(range[0]) : undefined
  }

  private once(node: Node): boolean {
    if (this.checked.has(node)) return false
    this.checked.add(node)
    return true
  }

  private convert(node: unknown, segments: PathSegment[], depth: number): unknown {
    if (node === null || node === undefined) return null
    if (depth > MAX_DEPTH) {
      this.issues.add('E004', segments, `the document nests deeper than ${MAX_DEPTH} levels`, {suggestion: 'flatten the structure'})
      return null
    }
    if (this.aliasDepth > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      // Reported once, where the limit was crossed; every later expansion is cut short silently.
      if (this.aliasNodes === MAX_ALIAS_NODES + 1) {
        this.issues.add('E004', segments, `aliases expand to more than ${MAX_ALIAS_NODES} nodes`, {
          position: this.at(this.outermostAlias), suggestion: 'write the values out instead of repeating aliases',
        })
      }
      return null
    }
    if (isAlias(node)) return this.convertAlias(node, segments, depth)
    const tag = (node as {tag?: string}).tag
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      if (this.once(node as Node)) {
        this.issues.add('E004', segments, `the tag \`${tag}\` is not allowed`, {suggestion: 'remove the tag; only plain YAML values are allowed'})
      }
      // Read on as if untagged, so the rest of the file is still checked.
    }
    if (isScalar(node)) return this.convertScalar(node, segments)
    if (isMap(node)) return this.convertMap(node, segments, depth)
    if (isSeq(node)) {
      this.ancestors.add(node)
      const base = formatPath(segments)
      const out = node.items.map((item, index) => {
        const child = [...segments, index]
        this.issues.index.record(appendSegment(base, index), undefined, this.at(item))
        return this.convert(item, child, depth + 1)
      })
      this.ancestors.delete(node)
      return out
    }
    return null
  }

  private convertAlias(node: Node & {source: string}, segments: PathSegment[], depth: number): unknown {
    const target = this.resolveAlias(node)
    if (target === undefined) {
      if (this.once(node)) this.issues.add('E001', segments, `the alias \`*${node.source}\` refers to no anchor defined before it`)
      return null
    }
    if (this.ancestors.has(target)) {
      if (this.once(node)) this.issues.add('E004', segments, `the alias \`*${node.source}\` refers to a node that contains it (a cycle)`)
      return null
    }
    if (this.aliasDepth === 0) this.outermostAlias = node
    this.aliasDepth++
    try {
      return this.convert(target, segments, depth)
    } finally {
      this.aliasDepth--
    }
  }

  /** The last node anchored with the alias's name before the alias (YAML's rule). */
  private resolveAlias(node: Node & {source: string}): Node | undefined {
    this.anchors ??= collectAnchors(this.document.contents)
    const list = this.anchors.get(node.source)
    const offset = node.range?.[0] ?? 0
    if (!list) return undefined
    let low = 0
    let high = list.length - 1
    let found: Node | undefined
    while (low <= high) {
      const middle = (low + high) >> 1
      if (list[middle]!.offset < offset) {
        found = list[middle]!.node
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found
  }

  private convertScalar(node: Scalar, segments: PathSegment[]): unknown {
    const value = node.value
    if (typeof value !== 'string') return typeof value === 'bigint' ? Number(value) : value
    const substitution = substituteEnv(value, this.env)
    if (substitution.missing.length > 0) {
      if (this.once(node)) {
        for (const name of substitution.missing) reportUnsetVariable(this.issues, segments, name, this.allowedEnv)
      }
      this.issues.suppressOthersAt(segments)
      return value
    }
    if (substitution.whole && node.type === Scalar.PLAIN) return resolvePlainScalar(substitution.value)
    return substitution.value
  }

  private convertMap(node: Node & {items: unknown[]}, segments: PathSegment[], depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    const firstSeen = new Map<string, Position | undefined>()
    let base: string | undefined
    this.ancestors.add(node)
    for (const pair of node.items) {
      if (!isPair(pair)) continue
      const keyNode = pair.key
      if (keyNode !== null && !isScalar(keyNode)) {
        if (this.once(keyNode as Node)) {
          this.issues.add('E004', segments, 'mapping keys must be plain scalars (complex and alias keys are not allowed)', {
            position: this.at(keyNode), suggestion: 'use a plain string key',
          })
        }
        continue
      }
      const key = keyNode === null || keyNode.value === null ? '' : String(keyNode.value)
      const keyPosition = this.at(keyNode) ?? this.at(pair.value)
      if (firstSeen.has(key)) {
        if (this.once(keyNode as Node)) {
          const first = firstSeen.get(key)
          this.issues.add('E003', [...segments, key], `the key \`${key}\` appears more than once in this mapping${first ? ` (first at line ${first.line})` : ''}`, {
            position: keyPosition, suggestion: 'keep one of them',
          })
        }
        continue
      }
      firstSeen.set(key, keyPosition)
      const child = [...segments, key]
      base ??= formatPath(segments)
      this.issues.index.record(appendSegment(base, key), keyPosition, this.at(pair.value) ?? keyPosition)
      const value = this.convert(pair.value, child, depth + 1)
      // A `__proto__` key must become data, never the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, {value, enumerable: true, writable: true, configurable: true})
      else out[key] = value
    }
    this.ancestors.delete(node)
    return out
  }
}
