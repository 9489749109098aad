import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

// The schema-driven fuzz test of issue 17: every operation of /openapi.json gets malformed and
// boundary values for each parameter and body field. The server must answer each with a non-5xx
// status, an error body of the spec's shape, no stack trace, and must write no row for a request
// it refused.

type Schema = {type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; format?: string; $ref?: string; [key: string]: unknown}
interface Parameter {name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: Schema}
interface Operation {method: string; path: string; parameters: Parameter[]; body?: Schema}
interface Reply {status: number; text: string; contentType: string}
/** What a request body may be here (the DOM's BodyInit is not in this project's types). */
type Body = string | Uint8Array

const EXECUTION_LIMIT = 3

/** `at file:line` or `at fn (file:line:col)`: what a stack trace leaves in a body. */
const STACK_TRACE = /\bat (?:\S+ \()?(?:file:\/\/|node:|\/)?[^\s()]+\.(?:[cm]?js|ts|tsx):\d+/
const HUGE = 'x'.repeat(100_000)

/** Strings that have broken servers: traversal, encodings, injection, prototype keys, odd unicode. */
const NASTY_STRINGS = [
  '', ' ', '..', '../../../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', 'file:///etc/passwd',
  'not-a-uuid', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '01a24dd2-0000-7000-8000-00000000000',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '\' OR 1=1 --', '"; DROP TABLE configs; --', '$1', '%s%s%n', '${jndi:ldap://x}', '<script>alert(1)</script>',
  '名前🙂', '\u202Eevil', 'e\u0301', '\uFEFFbom', '\u0000', 'a\u0000b', '\uD800', '\uDFFF\uD800', 'ÿ'.repeat(300),
  'x'.repeat(201), 'x'.repeat(2001), HUGE, '\n\r\t', 'true', 'null', '-1', '0', '1e309', 'NaN', 'Infinity',
]
const NASTY_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, -0, 2 ** 53 + 2, 1e308, -1e308, [], [null], {}, {a: {b: {c: {}}}}, ['x'], {__proto__: null}, {a: '\u0000'}, {'\u0000': 1}, {a: ['\uD800']},
]
/** Query values: every string above plus numeric boundaries that coercion might accept. */
const NASTY_QUERY = [...NASTY_STRINGS, '1.5', '-0', '9007199254740993', '99999999999999999999', '1e20', '0x10', ' 5', '5 ', '+5', '1_000', '[]', '{}']

function encodePathValue(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    // A lone surrogate cannot be URI-encoded; send the bytes of its CESU-8 form, invalid UTF-8.
    return '%ED%A0%80'
  }
}

/** The parts of an OpenAPI 3.1 document this test reads. */
interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, {
    parameters?: Array<Omit<Parameter, 'schema'> & {schema?: Schema}>
    requestBody?: {content?: Record<string, {schema?: Schema}>}
  }>>
}

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  if (!schema) return {}
  if (schema.$ref) {
    const target = schema.$ref.replace('#/', '').split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)
    return resolve(doc, target as Schema | undefined)
  }
  return schema
}

function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      const parameters = (op.parameters ?? []).map((p) => ({...p, schema: resolve(doc, p.schema)}))
      const body = op.requestBody?.content?.['application/json']?.schema
      operations.push({method: method.toUpperCase(), path, parameters, body: body ? resolve(doc, body) : undefined})
    }
  }
  return operations
}

const isSse = (op: Operation) => op.path.endsWith('/events')

describe('the HTTP API under schema-driven fuzzing', () => {
  let server: TestServer
  let doc: OpenApiDocument
  let operations: Operation[]
  /** Ids of real resources, so that body fuzzing reaches past the path's 404. */
  const known: Record<string, string> = {}
  let uniqueName = 0
  /** Statuses seen per operation: the row accounting means something only if writes also succeeded. */
  const seen = new Map<string, Set<number>>()

  async function send(method: string, url: string, init: {body?: Body; headers?: Record<string, string>} = {}): Promise<Reply> {
    const controller = new AbortController()
    const response = await server.app.request(url, {method, headers: init.headers, body: init.body, signal: controller.signal})
    const contentType = response.headers.get('content-type') ?? ''
    if (contentType.startsWith('text/event-stream')) {
      // An SSE stream of a real execution: the first chunk is enough; the rest would wait for the end.
      const reader = response.body!.getReader()
      const first = await reader.read()
      await reader.cancel()
      controller.abort()
      return {status: response.status, text: new TextDecoder().decode(first.value ?? new Uint8Array()), contentType}
    }
    return {status: response.status, text: await response.text(), contentType}
  }

  /** What every reply must be: no 5xx, no stack trace, and an error body of the spec's shape for any 4xx. Returns what is wrong. */
  function problemsOf(reply: Reply): string[] {
    const problems: string[] = []
    // The health report's own 503 (a component did not answer in time on a loaded machine) is its documented answer.
    if (reply.status === 503 && /"status":"unhealthy"/.test(reply.text) && /"components"/.test(reply.text)) return problems
    if (reply.status >= 500) problems.push(`status ${reply.status}`)
    if (STACK_TRACE.test(reply.text)) problems.push('a stack trace in the body')
    if (reply.status < 400) return problems
    if (!reply.contentType.startsWith('application/json')) return [...problems, `an error body of type ${reply.contentType}`]
    let body: Record<string, unknown>
    try {
      body = JSON.parse(reply.text) as Record<string, unknown>
    } catch {
      return [...problems, 'an error body that is not JSON']
    }
    if (typeof body.error_code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(body.error_code)) problems.push('no error_code')
    if (typeof body.correlation_id !== 'string' || body.correlation_id === '') problems.push('no correlation_id')
    if (typeof body.timestamp !== 'string' || Number.isNaN(Date.parse(body.timestamp))) problems.push('no timestamp')
    const detail = body.detail
    const issueShaped = (issue: unknown) => {
      const {loc, msg, type} = (issue ?? {}) as {loc?: unknown; msg?: unknown; type?: unknown}
      return Array.isArray(loc) && typeof msg === 'string' && typeof type === 'string'
    }
    if (typeof detail !== 'string' && !(Array.isArray(detail) && detail.every(issueShaped))) problems.push('no detail (a string or [{loc, msg, type}])')
    return problems
  }

  /** Every wrong reply of a test, one line per operation, status and problem (the first request that showed it). */
  const failures = new Map<string, string>()
  function check(op: Operation, reply: Reply, what: string): void {
    for (const problem of problemsOf(reply)) {
      const key = `${op.method} ${op.path}: ${problem}`
      if (!failures.has(key)) failures.set(key, `${key} — e.g. ${what} → ${reply.text.slice(0, 300)}`)
    }
  }
  function expectNoFailures(): void {
    const found = [...failures.values()]
    failures.clear()
    expect(found).toEqual([])
  }

  /** A path with its parameters filled with real ids (or the given raw, already-encoded values). */
  function urlOf(op: Operation, raw: Record<string, string> = {}, query = ''): string {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => raw[name] ?? encodeURIComponent(known[`${op.method} ${op.path}:${name}`] ?? known[`${op.path}:${name}`] ?? known[name] ?? 'x'))
    return query === '' ? path : `${path}?${query}`
  }

  /** A valid body for the operation, from its schema plus a few values a schema cannot say (real YAML, a real config id). */
  function validBody(schema: Schema): Record<string, unknown> {
    const body: Record<string, unknown> = {}
    for (const name of schema.required ?? []) {
      const field = schema.properties?.[name] ?? {}
      if (name === 'name') body[name] = `fuzz-${uniqueName++}`
      else if (name === 'config_yaml') body[name] = testPipelineYaml({name: 'fuzz'})
      else if (name === 'config_id') body[name] = known.config_id
      else if (field.enum) body[name] = field.enum[0]
      else if (field.type === 'object') body[name] = {}
      else body[name] = 'x'
    }
    return body
  }

  async function counts(): Promise<Record<string, number>> {
    const {db} = await server.runtime.store()
    const {rows} = await db.query<Record<string, number>>(`SELECT
      (SELECT count(*)::int FROM configs) AS configs, (SELECT count(*)::int FROM config_versions) AS config_versions,
      (SELECT count(*)::int FROM executions) AS executions`)
    return rows[0]!
  }

  /** Rows a successful request of each writing operation adds; every other request must add none. */
  function expectedRows(op: Operation, status: number): Record<string, number> {
    const key = `${op.method} ${op.path}`
    if (key === 'POST /api/v1/configs' && status === 201) return {configs: 1, config_versions: 1, executions: 0}
    if (key === 'PUT /api/v1/configs/{id}' && status === 200) return {configs: 0, config_versions: 1, executions: 0}
    if ((key === 'POST /api/v1/configs/{id}/run' || key === 'POST /api/v1/executions') && status === 201) return {configs: 0, config_versions: 0, executions: 1}
    return {configs: 0, config_versions: 0, executions: 0}
  }

  /** Sends each request of a batch, checks each reply, and checks that the rows written are exactly those of the 2xx replies. */
  async function batch(op: Operation, requests: Array<{what: string; url: string; body?: Body; headers?: Record<string, string>}>): Promise<Reply[]> {
    const before = await counts()
    const added = {configs: 0, config_versions: 0, executions: 0}
    const replies: Reply[] = []
    for (const request of requests) {
      const reply = await send(op.method, request.url, {body: request.body, headers: request.headers})
      check(op, reply, `${op.method} ${request.url.slice(0, 200)} ${request.what}`)
      seen.set(`${op.method} ${op.path}`, (seen.get(`${op.method} ${op.path}`) ?? new Set()).add(reply.status))
      for (const [table, n] of Object.entries(expectedRows(op, reply.status))) added[table as keyof typeof added] += n
      replies.push(reply)
    }
    const after = await counts()
    expect({configs: after.configs! - before.configs!, config_versions: after.config_versions! - before.config_versions!, executions: after.executions! - before.executions!},
      `rows written by ${op.method} ${op.path}`).toEqual(added)
    return replies
  }

  beforeAll(async () => {
    server = await startTestServer({maxConcurrentExecutions: EXECUTION_LIMIT})
    doc = JSON.parse((await send('GET', '/openapi.json')).text)
    operations = operationsOf(doc)
    const json = {'content-type': 'application/json'}
    const config = JSON.parse((await send('POST', '/api/v1/configs', {headers: json, body: JSON.stringify({name: 'fuzz-seed', config_yaml: testPipelineYaml({name: 'fuzz', count: 2})})})).text)
    known.id = config.id
    known.config_id = config.id
    const execution = JSON.parse((await send('POST', '/api/v1/executions', {headers: json, body: JSON.stringify({config_id: config.id, tag: 'fuzz-seed'})})).text)
    await server.runtime.executions.get(execution.id)?.outcome
    for (const op of operations.filter((o) => o.path.startsWith('/api/v1/executions/{id}'))) known[`${op.path}:id`] = execution.id
    // Deactivating the seed config would turn every later run into CONFIG_INACTIVE: DELETE gets its own.
    known['DELETE /api/v1/configs/{id}:id'] = JSON.parse((await send('POST', '/api/v1/configs', {headers: json, body: JSON.stringify({name: 'fuzz-victim', config_yaml: testPipelineYaml()})})).text).id
    known.route_id = 'work'
    known.type = 'fan_out'
    // Real rows and objects for the data-plane paths (lineage, storage), so fuzzing reaches past their 404.
    const lineage = JSON.parse((await send('GET', `/api/v1/lineage?execution_id=${execution.id}&limit=1`)).text)
    for (const op of operations.filter((o) => o.path.startsWith('/api/v1/lineage/{id}'))) known[`${op.path}:id`] = lineage.lineage[0].id
    await server.runtime.storage.put('fuzz/seed.txt', 'seed', {execution_id: execution.id})
    known.key = 'fuzz/seed.txt'
    // A webhook subscription and a delivery (its test delivery, refused at delivery time: loopback is not allowed here).
    server.webhooks.options.network.allowPrivate = true
    const hook = JSON.parse((await send('POST', '/api/v1/webhooks', {headers: json, body: JSON.stringify({url: 'http://127.0.0.1:9/fuzz', event_types: ['execution.completed']})})).text)
    server.webhooks.options.network.allowPrivate = false
    for (const op of operations.filter((o) => o.path.startsWith('/api/v1/webhooks/{id}'))) known[`${op.path}:id`] = hook.id
    known['DELETE /api/v1/webhooks/{id}:id'] = JSON.parse((await send('POST', '/api/v1/webhooks', {headers: json, body: JSON.stringify({url: 'http://8.8.8.8/fuzz', event_types: ['lineage.failed']})})).text).id
    known['/api/v1/webhooks/deliveries/{id}/redeliver:id'] = JSON.parse((await send('POST', `/api/v1/webhooks/${hook.id}/test`)).text).id
  }, 240_000)

  afterAll(async () => {
    await server?.close()
  })

  it('walks an OpenAPI 3.1 document that names every operation of the API', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(operations.length).toBeGreaterThanOrEqual(20)
    expect(operations.filter((op) => op.body).length).toBeGreaterThanOrEqual(5)
  })

  it('answers every operation with malformed or boundary path parameters without a 5xx, a stack trace or a row', async () => {
    for (const op of operations) {
      for (const param of op.parameters.filter((p) => p.in === 'path')) {
        const values = [...NASTY_STRINGS.filter((v) => v !== '').map(encodePathValue), '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%00', '%FF', '%', '%zz', 'x'.repeat(300)]
        const body = op.body ? JSON.stringify(validBody(op.body)) : undefined
        const headers = body ? {'content-type': 'application/json'} : undefined
        await batch(op, values.map((value) => ({what: `${param.name}=${value.slice(0, 40)}`, url: urlOf(op, {[param.name]: value}), body, headers})))
      }
    }
    expectNoFailures()
  }, 120_000)

  it('answers every operation with malformed or boundary query parameters without a 5xx, a stack trace or a row', async () => {
    for (const op of operations) {
      const body = op.body ? JSON.stringify(validBody(op.body)) : undefined
      const headers = body ? {'content-type': 'application/json'} : undefined
      const requests = [
        {what: 'unknown parameters', url: urlOf(op, {}, '__proto__[admin]=1&constructor.prototype.admin=1&a=%00')},
        {what: 'a bare ?', url: `${urlOf(op)}?`},
        {what: 'an encoded & and =', url: urlOf(op, {}, '%26%3D=%3D%26')},
      ]
      for (const param of op.parameters.filter((p) => p.in === 'query')) {
        for (const value of NASTY_QUERY) requests.push({what: `${param.name}=${value.slice(0, 40)}`, url: urlOf(op, {}, `${param.name}=${encodePathValue(value)}`)})
        requests.push({what: `${param.name} twice`, url: urlOf(op, {}, `${param.name}=1&${param.name}=2`)})
        requests.push({what: `${param.name} without a value`, url: urlOf(op, {}, param.name)})
        requests.push({what: `${param.name} as an array`, url: urlOf(op, {}, `${param.name}[]=1`)})
      }
      // Running executions end the run/create requests' chance to start more (429); that is a fine answer too.
      await batch(op, requests.map((r) => ({...r, body, headers})))
    }
    expectNoFailures()
  }, 120_000)

  it('answers malformed bodies (types, missing and extra fields, prototype keys, not JSON, wrong content type) without a 5xx, a stack trace or a row', async () => {
    for (const op of operations.filter((o) => o.body)) {
      const schema = op.body!
      const valid = validBody(schema)
      const json = {'content-type': 'application/json'}
      const requests: Array<{what: string; url: string; body?: Body; headers?: Record<string, string>}> = []
      const add = (what: string, body: Body | undefined, headers: Record<string, string> | undefined = json) => requests.push({what, url: urlOf(op), body, headers})
      for (const name of schema.required ?? []) {
        const {[name]: _dropped, ...rest} = valid
        add(`without ${name}`, JSON.stringify(rest))
      }
      for (const name of Object.keys(schema.properties ?? {})) {
        for (const value of [...NASTY_STRINGS, ...NASTY_VALUES]) add(`${name}=${JSON.stringify(value)?.slice(0, 40)}`, JSON.stringify({...validBody(schema), [name]: value}))
      }
      add('an extra field', JSON.stringify({...valid, extra: 1}))
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        add(`a ${key} key`, `{"${key}": {"admin": true, "polluted": 1}, ${JSON.stringify(valid).slice(1)}`)
      }
      add('only a __proto__ key', '{"__proto__": {"config_id": "x"}}')
      for (const text of ['', ' ', 'null', 'true', '0', '"text"', '[]', '[{}]', '{', '{"a":', '{"a": 1,}', '{\'a\': 1}', 'undefined', 'NaN', '\u0000', '\uFEFF{}', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`]) {
        add(`body ${JSON.stringify(text.slice(0, 20))}`, text)
      }
      add('bytes that are not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))
      add('a body over the size limit', JSON.stringify({...valid, description: 'x'.repeat((1 << 20) + 10)}))
      add('no body', undefined)
      add('valid JSON as text/plain', JSON.stringify(valid), {'content-type': 'text/plain'})
      add('valid JSON as a form', JSON.stringify(valid), {'content-type': 'application/x-www-form-urlencoded'})
      add('a form body', 'name=x&config_yaml=y', {'content-type': 'application/x-www-form-urlencoded'})
      add('multipart', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', {'content-type': 'multipart/form-data; boundary=b'})
      add('no content type', JSON.stringify(valid), {})
      add('a bogus content type', JSON.stringify(valid), {'content-type': ';;;==/'})
      add('JSON in UTF-16 as declared', JSON.stringify(valid), {'content-type': 'application/json; charset=utf-16'})
      add('a lying content length', JSON.stringify(valid), {...json, 'content-length': '5'})
      await batch(op, requests)
    }
    expectNoFailures()
  }, 180_000)

  it('answers methods an endpoint does not have with a 4xx of the error shape', async () => {
    const paths = [...new Set(operations.map((op) => op.path))]
    for (const path of paths) {
      const url = path.replace(/\{(\w+)\}/g, 'x')
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        if (operations.some((op) => op.path === path && op.method === method)) continue
        const reply = await send(method, url, method === 'GET' ? {} : {body: '{}', headers: {'content-type': 'application/json'}})
        check({method, path, parameters: []}, reply, `${method} ${url}`)
        // Not always 404: PUT /configs/validate is PUT /configs/{id} with the id "validate".
        expect(reply.status, `${method} ${url}`).toBeGreaterThanOrEqual(400)
      }
    }
    expectNoFailures()
  })

  it('answers arbitrary JSON bodies and query strings (fast-check) without a 5xx, a stack trace or a row', async () => {
    const writable = operations.filter((o) => !isSse(o))
    const jsonText = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({unit: 'binary', maxLength: 200}),
      fc.dictionary(fc.oneof(fc.constantFrom('name', 'config_yaml', 'config_id', 'tag', 'status', 'state', '__proto__', 'metadata', 'init_payload', 'idempotency_key'), fc.string()),
        fc.oneof(fc.jsonValue(), fc.string({unit: 'binary'}), fc.constant(known.config_id)), {maxKeys: 6}).map((v) => JSON.stringify(v)),
    )
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'offset', 'status', 'config_id', 'active', 'tag', 'debug', 'execution_id', 'skip_init_message'), fc.string()),
      fc.string({unit: 'binary', maxLength: 60})), {maxLength: 4})
      .map((pairs) => pairs.map(([k, v]) => `${encodePathValue(k)}=${encodePathValue(v)}`).join('&'))
    const pathValue = fc.oneof(fc.constant(undefined), fc.string({unit: 'binary', minLength: 1, maxLength: 80}).map(encodePathValue))
    for (const op of writable) {
      const requests: Array<{what: string; url: string; body?: string; headers?: Record<string, string>}> = []
      fc.assert(fc.property(jsonText, query, pathValue, (body, q, pathRaw) => {
        const raw: Record<string, string> = {}
        if (pathRaw !== undefined) for (const p of op.parameters.filter((x) => x.in === 'path')) raw[p.name] = pathRaw
        requests.push({what: `fast-check body ${body.slice(0, 60)}`, url: urlOf(op, raw, q), ...(op.method === 'GET' ? {} : {body, headers: {'content-type': 'application/json'}})})
      }), {numRuns: 25, seed: 17})
      await batch(op, requests)
    }
    expectNoFailures()
  }, 120_000)

  it('keeps every stored config with exactly one active version and leaves no execution running', async () => {
    // The fuzzing reached the writes: each writing operation also succeeded, and refused with 422.
    for (const key of ['POST /api/v1/configs', 'PUT /api/v1/configs/{id}', 'POST /api/v1/configs/{id}/run', 'POST /api/v1/executions']) {
      const statuses = [...seen.get(key) ?? []]
      expect(statuses.some((s) => s >= 200 && s < 300), `${key}: ${statuses.join(', ')}`).toBe(true)
      expect(statuses, key).toContain(422)
    }
    for (const execution of server.runtime.executions.list()) await execution.orchestrator.cancel('fuzz test end').then(() => execution.outcome)
    const {db} = await server.runtime.store()
    const {rows: orphans} = await db.query<{id: string; active: number}>(`SELECT c.id, count(v.id) FILTER (WHERE v.is_active)::int AS active
      FROM configs c LEFT JOIN config_versions v ON v.config_id = c.id GROUP BY c.id HAVING count(v.id) FILTER (WHERE v.is_active) <> 1`)
    expect(orphans).toEqual([])
    const {rows: running} = await db.query<{n: number}>(`SELECT count(*)::int AS n FROM executions WHERE status = 'running'`)
    expect(running[0]!.n).toBe(0)
  })
})
