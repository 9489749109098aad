import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {ALL_ISSUE_CODES, severityOf} from '../../src/config/codes.js'
import type {ValidationReport} from '../../src/config/issues.js'
import {loadPipelineObject, validatePipelineText} from '../../src/config/load-pipeline.js'
import {readShipped, SHIPPED} from './helpers.js'

const TEXTS = SHIPPED.map(readShipped)
const OBJECTS = TEXTS.map((text) => parse(text) as Record<string, unknown>)
const KNOWN = new Set<string>(ALL_ISSUE_CODES)
/** Per validation: real files take milliseconds; generated giants (up to 1 MiB) are mostly YAML parsing. */
const TIME_BOUND_MS = 3000
const GIANT_TIME_BOUND_MS = 10_000
const PROVIDERS = ['artemis', 'rabbitmq', 'pulsar', 'memory'] as const

function checkReport(report: ValidationReport, started: number, bound = TIME_BOUND_MS): void {
  expect(performance.now() - started).toBeLessThan(bound)
  expect(report.error_count + report.warning_count).toBe(report.issues.length)
  if (!report.is_valid) expect(report.issues.length).toBeGreaterThan(0)
  let seenWarning = false
  for (const issue of report.issues) {
    expect(KNOWN.has(issue.code), `unknown code ${issue.code}`).toBe(true)
    expect(issue.severity).toBe(severityOf(issue.code))
    if (issue.severity === 'warning') seenWarning = true
    else expect(seenWarning, 'errors come before warnings').toBe(false)
    if (issue.line !== null) expect(issue.line).toBeGreaterThanOrEqual(1)
    expect(typeof issue.message).toBe('string')
  }
}

function validateText(text: string, provider: (typeof PROVIDERS)[number] = 'artemis', bound = TIME_BOUND_MS): void {
  const started = performance.now()
  checkReport(validatePipelineText(text, {env: {}, provider}), started, bound)
}

/** Every path to a value in a plain JSON-like tree. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix]
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...pathsOf(item, [...prefix, index])))
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]))
  return out
}

type Mutation = 'delete' | 'replace' | 'rename' | 'wrap'

function mutate(source: unknown, path: Array<string | number>, kind: Mutation, replacement: unknown, name: string): unknown {
  const copy = structuredClone(source)
  if (path.length === 0) return kind === 'delete' ? null : replacement
  let parent = copy as Record<string | number, unknown>
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>
  const last = path.at(-1)!
  if (kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else if (kind === 'replace') {
    parent[last] = replacement
  } else if (kind === 'wrap') {
    parent[last] = [parent[last]]
  } else if (!Array.isArray(parent)) {
    parent[name] = parent[last]
    delete parent[last]
  }
  return copy
}

const NAMES = ['type', 'queue', 'inbound', 'config', 'routes', 'condition', 'operator', 'value', 'field', 'all', 'any', 'not',
  'max_retries', 'concurrency', 'prefetch', 'dead_letter_queue', '__proto__', '', 'version', 'id', 'init_message', 'route']

describe('validation never throws on hostile input', () => {
  it('survives random edits of the shipped pipeline texts (deletions, garbage bytes, duplicated lines)', () => {
    fc.assert(fc.property(
      fc.nat(TEXTS.length - 1), fc.nat(), fc.nat(), fc.uint8Array({maxLength: 64}), fc.constantFrom('delete', 'insert', 'duplicate', 'truncate'),
      fc.constantFrom(...PROVIDERS),
      (which, at, length, bytes, edit, provider) => {
        const text = TEXTS[which]!
        const start = at % (text.length + 1)
        const garbage = Buffer.from(bytes).toString('latin1')
        const edited = edit === 'delete' ? text.slice(0, start) + text.slice(start + (length % 200))
          : edit === 'insert' ? text.slice(0, start) + garbage + text.slice(start)
            : edit === 'truncate' ? text.slice(0, start)
              : (() => {
                const lines = text.split('\n')
                const line = start % lines.length
                lines.splice(line, 0, lines[line]!)
                return lines.join('\n')
              })()
        validateText(edited, provider)
      },
    ), {numRuns: 1000})
  })

  it('survives random structural mutations (deleted keys, wrong types, renamed keys) as text and as objects', () => {
    const mutation = fc.tuple(
      fc.nat(), fc.constantFrom<Mutation>('delete', 'replace', 'rename', 'wrap'),
      fc.oneof(fc.jsonValue({maxDepth: 3}), fc.string(), fc.constantFrom(-1, 0, 1.5, 1e308, '', '${UNSET}', '/queue/x', '/topic/x', [], {})),
      fc.constantFrom(...NAMES),
    )
    fc.assert(fc.property(
      fc.nat(OBJECTS.length - 1), fc.array(mutation, {minLength: 1, maxLength: 3}), fc.constantFrom(...PROVIDERS),
      (which, mutations, provider) => {
        let mutated: unknown = OBJECTS[which]!
        for (const [pick, kind, replacement, name] of mutations) {
          const paths = pathsOf(mutated)
          mutated = mutate(mutated, paths[pick % paths.length]!, kind, replacement, name)
        }
        validateText(stringify(mutated, {aliasDuplicateObjects: false}), provider)
        const started = performance.now()
        const {report, pipeline} = loadPipelineObject(mutated, {env: {}, provider})
        checkReport(report, started)
        if (pipeline) expect(report.error_count).toBe(0)
      },
    ), {numRuns: 1000})
  })

  it('survives arbitrary YAML-ish text', () => {
    const tokens = fc.constantFrom('a: ', '- ', '{', '}', '[', ']', ',', '\n', '  ', '&x ', '*x', '!tag ', '"', "'", '#', '---\n', '? ', '${A}', ': ', '|\n', '>\n', '\t', '%YAML 1.2\n', '<<: *x\n')
    fc.assert(fc.property(fc.array(tokens, {maxLength: 200}), (parts) => validateText(parts.join(''))), {numRuns: 1000})
  })

  it('stays bounded on huge documents, deep nesting and alias bombs', () => {
    fc.assert(fc.property(
      fc.constantFrom('huge', 'deep-flow', 'deep-block', 'bomb', 'wide-bomb', 'many-routes'), fc.integer({min: 1, max: 30}),
      (shape, size) => {
        let text: string
        switch (shape) {
          case 'huge': text = `${TEXTS[0]}\n# ${'x'.repeat(size * 40_000)}\n`; break
          case 'deep-flow': text = `version: "1.0"\ninit_message: { route: a, payload: { d: ${'['.repeat(size * 700)}${']'.repeat(size * 700)} } }\n`; break
          case 'deep-block': text = `version: "1.0"\nroutes:\n${Array.from({length: size * 30}, (_, i) => `${' '.repeat(i + 2)}k${i}:`).join('\n')} x\n`; break
          case 'bomb': {
            const levels = Array.from({length: 4 + (size % 8)}, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`)
            text = `version: "1.0"\nl0: &l0 "boom"\n${levels.join('\n')}\n`
            break
          }
          case 'wide-bomb': text = `a: &a [${Array(size * 20).fill('x').join(',')}]\nb: [${Array(size * 20).fill('*a').join(',')}]\n`; break
          default: {
            const routes = Array.from({length: size * 30}, (_, i) =>
              `  r${i}:\n    inbound: { queue: /queue/q${i} }\n    adapters: [{ type: passthrough }]\n    outbound: [{ queue: /queue/q${(i + 1) % (size * 30)} }]`)
            text = `version: "1.0"\nroutes:\n${routes.join('\n')}\ninit_message: { route: r0 }\n`
          }
        }
        validateText(text, 'artemis', GIANT_TIME_BOUND_MS)
      },
    ), {numRuns: 40})
  })
})
