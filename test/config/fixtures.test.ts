import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {ALL_ISSUE_CODES} from '../../src/config/codes.js'
import {validatePipelineText} from '../../src/config/load-pipeline.js'
import {FIXTURES} from './helpers.js'

type Expected = [code: string, path: string, line: number]

/**
 * Every fixture under test/fixtures/validation and exactly the issues it must produce:
 * code, path and line of each, nothing else.
 */
const EXPECTATIONS: Record<string, Expected[]> = {
  'E001-syntax-error.yaml': [['E001', '', 5]],
  'E002-empty-document.yaml': [['E002', '', 1]],
  'E002-root-not-mapping.yaml': [['E002', '', 1]],
  'E003-duplicate-key.yaml': [['E003', 'routes.crawl.inbound', 8]],
  'E004-alias-bomb.yaml': [['E004', 'init_message.payload.d[7][1][0][6]', 14]],
  'E004-alias-cycle.yaml': [['E004', 'routes.crawl.adapters[0].config.set.again', 9]],
  'E004-custom-tag.yaml': [['E004', 'routes.crawl.inbound.queue', 5]],
  'E005-two-documents.yaml': [['E005', '', 9]],
  'E006-unset-variable.yaml': [['E006', 'routes.crawl.inbound.queue', 5]],
  'E101-version-missing.yaml': [['E101', 'version', 1]],
  'E102-version-unsupported.yaml': [['E102', 'version', 1]],
  'E103-unknown-adapter.yaml': [['E103', 'routes.crawl.adapters[1].type', 8]],
  'E104-routes-empty.yaml': [['E104', 'routes', 3]],
  'E105-unknown-keys.yaml': [
    ['E105', 'descripton', 2],
    ['E105', 'routes.crawl.inbound.concurency', 6],
    ['E105', 'routes.crawl.adapters[0].condtion', 9],
    ['E105', 'routes.crawl.outbnd', 10],
  ],
  'E106-missing-route-fields.yaml': [
    ['E106', 'routes.crawl.adapters', 4],
    ['E106', 'routes.crawl.inbound.queue', 5],
    ['E106', 'routes.store.adapters', 7],
  ],
  'E107-bad-ids.yaml': [
    ['E107', 'routes.Crawl-Pages', 4],
    ['E107', 'routes.Crawl-Pages.adapters[1].type', 8],
    ['E107', 'routes.Crawl-Pages.adapters[2].id', 10],
  ],
  'E108-init-message-missing.yaml': [['E108', 'init_message', 1]],
  'E108-init-route-unknown.yaml': [['E108', 'init_message.route', 9]],
  'E109-shared-inbound.yaml': [['E109', 'routes.store.inbound.queue', 9]],
  'E110-bad-engine-fields.yaml': [
    ['E110', 'error_handling.max_retries', 2],
    ['E110', 'error_handling.backoff', 2],
    ['E110', 'backpressure.max_concurrency', 3],
    ['E110', 'routes.crawl.inbound.concurrency', 6],
    ['E110', 'routes.crawl.inbound.prefetch', 6],
  ],
  'E201-artemis-queue-name.yaml': [
    ['E201', 'error_handling.dead_letter_queue', 2],
    ['E201', 'routes.crawl.inbound.queue', 5],
  ],
  'E202-unread-outbound.yaml': [
    ['E202', 'routes.crawl.outbound[0].queue', 9],
    ['W202', 'routes.crawl.outbound[1].queue', 10],
    ['W501', 'routes.markdown', 11],
  ],
  'E301-unknown-config-field.yaml': [['E301', 'routes.crawl.adapters[0].config.max_byte', 10]],
  'E302-missing-config-field.yaml': [['E302', 'routes.translate.adapters[0].config.target_language', 8]],
  'E303-bad-config-values.yaml': [
    ['E303', 'routes.segment.adapters[0].config.max_tokens', 9],
    ['E303', 'routes.segment.adapters[0].config.encoding', 10],
    ['E303', 'routes.segment.adapters[0].config.overlap_tokens', 11],
  ],
  'E304-unknown-profile.yaml': [['E304', 'routes.embed.adapters[0].config.provider', 9]],
  'E401-unknown-operator.yaml': [['E401', 'routes.crawl.adapters[0].condition.operator', 8]],
  'E402-invalid-regex.yaml': [['E402', 'routes.crawl.adapters[0].condition.value', 11]],
  'E403-condition-value.yaml': [
    ['E403', 'routes.crawl.adapters[0].condition.all[0].field', 10],
    ['E403', 'routes.crawl.adapters[0].condition.all[1].value', 11],
    ['E403', 'routes.crawl.adapters[0].condition.all[2].value', 12],
  ],
  'E501-unconditional-cycle.yaml': [['E501', 'routes.fetch.outbound[0].queue', 9]],
  'W501-unreachable-route.yaml': [['W501', 'routes.orphan', 8]],
  'W502-retries-without-dlq.yaml': [['W502', 'routes.crawl.error_handling.max_retries', 8]],
  'W503-prefetch-below-concurrency.yaml': [['W503', 'routes.crawl.inbound.prefetch', 5]],
}

// Checked elsewhere: E004 for documents over 1 MiB (generated), E007 (a path on disk), E008 (needs
// an allow-list: below, and through a server in test/server/pipeline-env.test.ts).
const COVERED_ELSEWHERE = new Set(['E007', 'E008'])

const fixtures = readdirSync(FIXTURES).filter((name) => /\.ya?ml$/.test(name)).sort()

describe('validation fixtures', () => {
  it('has an expectation for every fixture file and a fixture for every expectation', () => {
    expect(fixtures).toEqual(Object.keys(EXPECTATIONS).sort())
  })

  it('has a fixture producing every issue code of the spec table', () => {
    const produced = new Set(Object.values(EXPECTATIONS).flat().map(([code]) => code))
    const missing = ALL_ISSUE_CODES.filter((code) => !produced.has(code) && !COVERED_ELSEWHERE.has(code))
    expect(missing).toEqual([])
  })

  it.each(fixtures)('%s reports exactly its expected issues with path and line', (name) => {
    const text = readFileSync(path.join(FIXTURES, name), 'utf8')
    const report = validatePipelineText(text, {env: {}, fileName: name})
    const actual = report.issues.map((issue) => [issue.code, issue.path, issue.line])
    expect(actual).toEqual(EXPECTATIONS[name])
    for (const issue of report.issues) {
      expect(issue.column, `${issue.code} has a column`).toBeGreaterThanOrEqual(1)
      expect(issue.message.length).toBeGreaterThan(0)
    }
    expect(report.is_valid).toBe(report.error_count === 0)
  })

  it('reports E008 where a variable outside the allow-list is named, set or not, and takes a default instead', () => {
    const text = readFileSync(path.join(FIXTURES, 'E006-unset-variable.yaml'), 'utf8')
    for (const env of [{}, {FACTFLOW_TEST_UNSET_QUEUE: '/queue/from-env'}]) {
      const report = validatePipelineText(text, {env, allowedEnv: new Set(['OTHER'])})
      expect(report.issues.map((issue) => [issue.code, issue.path, issue.line])).toEqual([['E008', 'routes.crawl.inbound.queue', 5]])
      expect(JSON.stringify(report)).not.toContain('/queue/from-env')
    }
    const listed = validatePipelineText(text, {env: {FACTFLOW_TEST_UNSET_QUEUE: '/queue/crawl'}, allowedEnv: new Set(['FACTFLOW_TEST_UNSET_QUEUE'])})
    expect(listed.issues).toEqual([])
    const withDefault = text.replace('${FACTFLOW_TEST_UNSET_QUEUE}', '${FACTFLOW_TEST_UNSET_QUEUE:-/queue/crawl}')
    expect(validatePipelineText(withDefault, {env: {FACTFLOW_TEST_UNSET_QUEUE: '/queue/x'}, allowedEnv: new Set()}).issues).toEqual([])
  })

  it('names each fixture after the first code it produces', () => {
    for (const name of fixtures) expect(EXPECTATIONS[name]![0]![0]).toBe(name.slice(0, 4))
  })
})
