import {describe, expect, it} from 'vitest'

import {createAdapterRegistry} from '../../src/adapters/registry.js'
import {testingAdapters} from '../../src/adapters/testing/catalog.js'
import {ALL_ISSUE_CODES} from '../../src/config/codes.js'
import {loadPipeline, loadPipelineObject, validatePipelineObject, validatePipelineText} from '../../src/config/load-pipeline.js'
import {MINIMAL, readShipped, SHIPPED} from './helpers.js'

const codes = (text: string, options = {}) => validatePipelineText(text, {env: {}, ...options}).issues.map((issue) => issue.code)

describe('validatePipelineText', () => {
  it('accepts a minimal pipeline with no issue', () => {
    expect(validatePipelineText(MINIMAL, {env: {}})).toEqual({is_valid: true, error_count: 0, warning_count: 0, issues: []})
  })

  it('reports every issue of a file with many different problems, not the first', () => {
    const text = `version: 1.0
nmae: broken
routes:
  crawl:
    inbound: { queue: crawl.in, concurrency: 0 }
    adapters:
      - type: web_scrapper
      - type: smart_segmenter
        config: { max_token: 5, encoding: cl100 }
        condition: { field: url, operator: matchs }
    outbound:
      - queue: /queue/nowhere
init_message: { route: crwal }
`
    const report = validatePipelineText(text, {env: {}})
    const found = new Set(report.issues.map((issue) => issue.code))
    for (const code of ['E102', 'E105', 'E201', 'E110', 'E103', 'E301', 'E303', 'E401', 'E202', 'E108']) expect(found).toContain(code)
    expect(report.error_count).toBeGreaterThanOrEqual(10)
    expect(report.is_valid).toBe(false)
  })

  it('orders errors before warnings, each in source order', () => {
    const text = `version: "1.0"
routes:
  a:
    inbound: { queue: /queue/a, concurrency: 4, prefetch: 1 }
    adapters: [{ type: passthrough }]
  b:
    inbound: { queue: /queue/b }
    adapters: [{ type: nope }]
init_message: { route: a, bogus: 1 }
`
    const report = validatePipelineText(text, {env: {}})
    const severities = report.issues.map((issue) => issue.severity)
    expect(severities).toEqual([...severities].sort((x, y) => (x === y ? 0 : x === 'error' ? -1 : 1)))
    const errors = report.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.line!)
    expect(errors).toEqual([...errors].sort((x, y) => x - y))
    expect(report.issues.map((issue) => issue.code)).toEqual(['E103', 'E105', 'W502', 'W503', 'W501'].sort((x, y) =>
      report.issues.findIndex((issue) => issue.code === x) - report.issues.findIndex((issue) => issue.code === y)))
    expect(report.error_count).toBe(2)
    expect(report.warning_count).toBe(3)
  })

  it('makes warnings fail is_valid under strict, without changing their severity', () => {
    const text = MINIMAL.replace('{ queue: /queue/crawl.in }', '{ queue: /queue/crawl.in, concurrency: 4, prefetch: 2 }')
    expect(validatePipelineText(text, {env: {}}).is_valid).toBe(true)
    const strict = validatePipelineText(text, {env: {}, strict: true})
    expect(strict.is_valid).toBe(false)
    expect(strict.issues).toMatchObject([{severity: 'warning', code: 'W503'}])
  })

  it('points at the key of an unknown key and at the value of a bad value', () => {
    const text = MINIMAL.replace('{ queue: /queue/crawl.in }', '{ queue: /queue/crawl.in, concurency: 2, prefetch: many }')
    const [unknown, bad] = validatePipelineText(text, {env: {}}).issues
    expect(unknown).toMatchObject({code: 'E105', line: 5, column: 40})
    expect(bad).toMatchObject({code: 'E110', line: 5, column: 65})
  })
})

describe('suggestions', () => {
  it('suggests the nearest adapter type, key and config field', () => {
    const text = `version: "1.0"
error_handling: { dead_letter_queue: /queue/dlq }
routes:
  crawl:
    inbund: { queue: /queue/crawl.in }
    inbound: { queue: /queue/crawl.in }
    adapters:
      - type: web_scrapper
      - tyep: web_scraper
      - type: sitemap_parser
        config: { max_url: 5 }
init_message: { route: crawl }
`
    const suggestions = Object.fromEntries(validatePipelineText(text, {env: {}}).issues.map((issue) => [issue.path, issue.suggestion]))
    expect(suggestions['routes.crawl.inbund']).toBe('did you mean `inbound`?')
    expect(suggestions['routes.crawl.adapters[0].type']).toContain('`web_scraper`')
    expect(suggestions['routes.crawl.adapters[1].tyep']).toBe('did you mean `type`?')
    expect(suggestions['routes.crawl.adapters[1].type']).toContain('add `type:`')
    expect(suggestions['routes.crawl.adapters[2].config.max_url']).toBe('did you mean `max_urls`?')
  })

  it('lists the allowed values of an enum and of a condition operator', () => {
    const text = MINIMAL.replace('- type: passthrough', `- type: fail
        config: { mode: sometimes }
        condition: { field: x, operator: like, value: 1 }`)
    const issues = validatePipelineText(text, {env: {}}).issues
    expect(issues.find((issue) => issue.code === 'E303')!.suggestion).toBe('allowed: `always`, `first_attempts`, `first_calls`, `when_field`')
    expect(issues.find((issue) => issue.code === 'E401')!.suggestion).toContain('`not_matches`')
  })

  it('gives no did-you-mean for an adapter type far from every name', () => {
    const [issue] = validatePipelineText(MINIMAL.replace('passthrough', 'quantum_teleporter'), {env: {}}).issues
    expect(issue).toMatchObject({code: 'E103', suggestion: 'run `factflow adapters list` for the catalog'})
  })

  it('tells to quote an unquoted version number', () => {
    const [issue] = validatePipelineText(MINIMAL.replace('"1.0"', '1.0'), {env: {}}).issues
    expect(issue).toMatchObject({code: 'E102', suggestion: expect.stringContaining('quote it')})
  })
})

describe('environment substitution', () => {
  const text = MINIMAL.replace('- type: passthrough', `- type: fan_out
        config:
          count: \${COUNT:-3}
          field: "\${FIELD:-n}"`).replace('{ route: crawl }', () => '{ route: crawl, payload: { url: "https://${HOST}/", quoted: "${NUM:-7}", escaped: "$${HOST}" } }')

  it('substitutes set variables and defaults, and types a plain scalar that was one placeholder', () => {
    const {report, pipeline} = loadPipeline(text, {env: {HOST: 'example.com'}})
    expect(report.issues).toEqual([])
    const step = pipeline!.routes.crawl!.adapters[0]!
    expect(step.config).toEqual({count: 3, field: 'n'})
    expect(pipeline!.init_message.payload).toEqual({url: 'https://example.com/', quoted: '7', escaped: '${HOST}'})
  })

  it('reports an unset variable without default as E006 at its value, once, and builds no pipeline', () => {
    const {report, pipeline} = loadPipeline(text, {env: {}})
    expect(report.issues).toMatchObject([{code: 'E006', path: 'init_message.payload.url', line: 11, message: expect.stringContaining('HOST')}])
    expect(pipeline).toBeUndefined()
  })

  it('does not pile other issues on a value whose variable is unset', () => {
    const unset = MINIMAL.replace('- type: passthrough', '- type: fan_out\n        config:\n          count: ${COUNT}')
    expect(codes(unset)).toEqual(['E006'])
  })

  it('explains that a placeholder inside a flow collection must be quoted', () => {
    const flow = MINIMAL.replace('- type: passthrough', '- type: fan_out\n        config: { count: ${COUNT:-3} }')
    const issues = validatePipelineText(flow, {env: {}}).issues
    expect(issues[0]).toMatchObject({code: 'E001', suggestion: expect.stringContaining('quote')})
  })

  it('substitutes in object input too', () => {
    const {pipeline} = loadPipelineObject({
      version: '1.0',
      error_handling: {dead_letter_queue: '${DLQ:-/queue/dlq}'},
      routes: {crawl: {inbound: {queue: '/queue/${Q}'}, adapters: [{type: 'passthrough'}]}},
      init_message: {route: 'crawl'},
    }, {env: {Q: 'crawl.in'}})
    expect(pipeline!.routes.crawl!.inbound.queue).toBe('/queue/crawl.in')
    expect(pipeline!.error_handling!.dead_letter_queue).toBe('/queue/dlq')
  })
})

describe('queue naming per provider', () => {
  const pipeline = (inbound: string, outbound: string, dlq: string) => `version: "1.0"
error_handling: { dead_letter_queue: "${dlq}" }
routes:
  a:
    inbound: { queue: "${inbound}" }
    adapters: [{ type: passthrough }]
    outbound: [{ queue: "${outbound}" }]
  b:
    inbound: { queue: "${outbound}" }
    adapters: [{ type: passthrough }]
init_message: { route: a }
`
  it.each([
    ['artemis', 'accepts /queue/<name>', pipeline('/queue/a', '/queue/b', '/queue/dlq'), []],
    ['artemis', 'refuses bare names, dead-letter queue included', pipeline('a', 'b', 'dlq'), ['E201', 'E201', 'E201', 'E201']],
    ['rabbitmq', 'accepts bare names', pipeline('a', 'b', 'dlq'), []],
    ['rabbitmq', 'maps STOMP-style /queue/x names', pipeline('/queue/a', '/queue/b', 'dlq'), []],
    ['rabbitmq', 'refuses spaces and the reserved amq. prefix', pipeline('a b', 'b', 'amq.dlq'), ['E201', 'E201']],
    ['pulsar', 'accepts persistent:// topics and short names', pipeline('persistent://public/default/a', 'b', 'dlq'), []],
    ['pulsar', 'maps STOMP-style /queue/x names, as rabbitmq does', pipeline('/queue/a', '/queue/b', 'dlq'), []],
    ['pulsar', 'refuses a topic name without its namespace', pipeline('persistent://public/a', 'b', 'dlq'), ['E201']],
    ['memory', 'accepts every supported form', pipeline('/queue/a', 'persistent://t/ns/b', 'dlq'), []],
    ['memory', 'refuses names in no supported form', pipeline('queue a', 'b', 'dlq'), ['E201']],
  ] as const)('%s %s', (provider, _behaviour, text, expected) => {
    expect(codes(text, {provider})).toEqual(expected)
  })

  it('matches /queue/x and x as the same queue under rabbitmq', () => {
    expect(codes(pipeline('/queue/a', '/queue/b', 'dlq').replace('inbound: { queue: "/queue/b" }', 'inbound: { queue: "b" }'), {provider: 'rabbitmq'})).toEqual([])
  })

  it('lets two routes read one topic (publish/subscribe) but not one queue', () => {
    const text = (destination: string) => `version: "1.0"
error_handling: { dead_letter_queue: /queue/dlq }
routes:
  a:
    inbound: { queue: ${destination} }
    adapters: [{ type: passthrough }]
  b:
    inbound: { queue: ${destination} }
    adapters: [{ type: passthrough }]
init_message: { route: a }
`
    expect(codes(text('/topic/events'))).toEqual([])
    expect(codes(text('/queue/events'))).toEqual(['E109'])
  })

  it('refuses an unknown provider with a coded error', () => {
    expect(() => validatePipelineText(MINIMAL, {provider: 'kafka'})).toThrow(/kafka/)
  })
})

describe('graph checks', () => {
  const cycle = (condition: string) => `version: "1.0"
error_handling: { dead_letter_queue: /queue/dlq }
routes:
  a:
    inbound: { queue: /queue/a }
    adapters: [{ type: passthrough }]
    outbound: [{ queue: /queue/b }]
  b:
    inbound: { queue: /queue/b }
    adapters: [{ type: passthrough }]
    outbound: [{ queue: /queue/a${condition} }]
init_message: { route: a }
`
  it('reports a cycle of unconditional edges (E501) and accepts one a condition can break', () => {
    expect(codes(cycle(''))).toEqual(['E501'])
    expect(codes(cycle(', condition: { field: depth, operator: lt, value: 3 }'))).toEqual([])
  })

  it('reports a route sending to itself', () => {
    const text = MINIMAL.replace('      - type: passthrough\n', '      - type: passthrough\n    outbound: [{ queue: /queue/crawl.in }]\n')
    expect(codes(text)).toEqual(['E501'])
  })

  it('warns once at the top level when routes inherit retries without a dead-letter queue', () => {
    const text = MINIMAL.replace('error_handling: { dead_letter_queue: /queue/dlq }\n', '')
    const report = validatePipelineText(text, {env: {}})
    expect(report.issues).toMatchObject([{code: 'W502', path: '', suggestion: expect.stringContaining('dead_letter_queue')}])
    expect(codes(MINIMAL.replace('{ dead_letter_queue: /queue/dlq }', '{ max_retries: 0 }'))).toEqual([])
  })

  it('lets a route inherit the top-level dead-letter queue when it overrides retries', () => {
    const text = MINIMAL.replace('      - type: passthrough\n', '      - type: passthrough\n    error_handling: { max_retries: 9 }\n')
    expect(codes(text)).toEqual([])
  })
})

describe('profiles', () => {
  const text = MINIMAL.replace('- type: passthrough', '- type: embedding_generator\n        config: { provider: embed }')

  it('knows local and default without settings', () => {
    expect(codes(text.replace('embed }', 'local }'))).toEqual([])
    expect(codes(text.replace('embed }', 'default }'))).toEqual([])
  })

  it('reports an unknown profile (E304) unless the settings name it', () => {
    expect(codes(text)).toEqual(['E304'])
    expect(codes(text, {profiles: ['embed']})).toEqual([])
  })
})

describe('loadPipeline', () => {
  it('returns the typed pipeline with defaults, stage ids, prefetch and adapter config defaults applied', () => {
    const {report, pipeline} = loadPipeline(MINIMAL.replace('- type: passthrough', '- type: fan_out'), {env: {}, fileName: 'dir/my-flow.yaml'})
    expect(report.is_valid).toBe(true)
    expect(pipeline!.name).toBe('my-flow')
    const route = pipeline!.routes.crawl!
    expect(route.inbound).toEqual({queue: '/queue/crawl.in', concurrency: 1, prefetch: 2})
    expect(route.adapters[0]).toEqual({type: 'fan_out', id: 'fan_out', config: {count: 2, field: 'index'}})
    expect(pipeline!.init_message.payload).toEqual({})
  })

  it('leaves inherited error handling unset on routes so the top level applies', () => {
    const {pipeline} = loadPipeline(MINIMAL.replace('      - type: passthrough\n', '      - type: passthrough\n    error_handling: { max_retries: 1 }\n'), {env: {}})
    expect(pipeline!.routes.crawl!.error_handling).toEqual({max_retries: 1})
    expect(pipeline!.error_handling).toEqual({dead_letter_queue: '/queue/dlq'})
  })

  it('returns a pipeline when there are only warnings', () => {
    const {report, pipeline} = loadPipeline(MINIMAL.replace('error_handling: { dead_letter_queue: /queue/dlq }\n', ''), {env: {}})
    expect(report.warning_count).toBe(1)
    expect(pipeline).toBeDefined()
  })

  it('uses the registry it is given', () => {
    const registry = createAdapterRegistry(testingAdapters)
    expect(codes(MINIMAL.replace('passthrough', 'web_scraper'), {registry})).toEqual(['E103'])
  })

  it('ignores an empty config block', () => {
    const {pipeline} = loadPipeline(MINIMAL.replace('- type: passthrough', '- type: delay\n        config:'), {env: {}})
    expect(pipeline!.routes.crawl!.adapters[0]!.config).toEqual({ms: 10, busy: false})
  })

  it('keeps a __proto__ key as data', () => {
    const {pipeline} = loadPipeline(MINIMAL.replace('{ route: crawl }', '{ route: crawl, payload: { __proto__: { polluted: true } } }'), {env: {}})
    expect(Object.getPrototypeOf(pipeline!.init_message.payload)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('validatePipelineObject', () => {
  it('reports issues without positions', () => {
    const report = validatePipelineObject({version: '1.0', routes: {crawl: {inbound: {queue: '/queue/a'}, adapters: [{type: 'nope'}]}}, init_message: {route: 'crawl'}}, {env: {}})
    expect(report.issues.map((issue) => [issue.code, issue.path, issue.line, issue.column])).toEqual([
      ['E103', 'routes.crawl.adapters[0].type', null, null],
      ['W502', '', null, null],
    ])
  })

  it('reports a cyclic object as E004 instead of recursing forever', () => {
    const payload: Record<string, unknown> = {}
    payload.self = payload
    const report = validatePipelineObject({version: '1.0', routes: {}, init_message: {route: 'x', payload}}, {env: {}})
    expect(report.issues.map((issue) => issue.code)).toContain('E004')
  })

  it('reports a root that is not an object as E002', () => {
    for (const input of [null, [], 'text', 42]) expect(validatePipelineObject(input, {env: {}}).issues.map((issue) => issue.code)).toEqual(['E002'])
  })
})

describe('hostile input', () => {
  it('refuses a document over 1 MiB without parsing it', () => {
    const text = `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`
    expect(validatePipelineText(text, {env: {}}).issues).toMatchObject([{code: 'E004', line: 1, column: 1}])
  })

  it('reports deep nesting as E004', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
    const text = MINIMAL.replace('{ route: crawl }', `{ route: crawl, payload: { deep: ${deep} } }`)
    expect(codes(text)).toContain('E004')
  })

  it('produces only known codes on binary garbage', () => {
    const garbage = Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919) % 256)).toString('latin1')
    const report = validatePipelineText(garbage, {env: {}})
    expect(report.is_valid).toBe(false)
    for (const issue of report.issues) expect(ALL_ISSUE_CODES).toContain(issue.code)
  })
})

describe('shipped pipelines', () => {
  it.each(SHIPPED)('%s validates with no error and no warning on artemis, rabbitmq and memory', (name) => {
    for (const provider of ['artemis', 'rabbitmq', 'memory'] as const) {
      const report = validatePipelineText(readShipped(name), {env: {}, provider, strict: true, fileName: name})
      expect(report.issues, `${name} on ${provider}`).toEqual([])
      expect(report.is_valid).toBe(true)
    }
  })

  it.each(SHIPPED)('%s loads into a typed pipeline', (name) => {
    const {pipeline} = loadPipeline(readShipped(name), {env: {}, fileName: name})
    expect(pipeline?.version).toBe('1.0')
    expect(Object.keys(pipeline!.routes).length).toBeGreaterThan(1)
  })
})
