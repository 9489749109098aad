import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {MINIMAL, PIPELINES, readShipped, ROOT, SHIPPED} from './helpers.js'

// These run the BUILT binary (`npm test` builds first), as users and CI call it.
function factflow(...args: string[]): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
      cwd: ROOT, encoding: 'utf8', env: {...process.env, NO_COLOR: '1', FORCE_COLOR: '0'}, timeout: 40_000,
    }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({status, stdout, stderr})
    })
  })
}

// Each run starts a Node process (~0.5 s here, several seconds on a loaded machine).
const SLOW = {timeout: 90_000}

let dir: string
const BROKEN = MINIMAL.replace('passthrough', 'web_scrapper').replace('{ queue: /queue/crawl.in }', '{ queue: /queue/crawl.in, concurency: 2 }')
const WARNING = MINIMAL.replace('error_handling: { dead_letter_queue: /queue/dlq }\n', '')

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'factflow-validate-'))
  mkdirSync(path.join(dir, 'tree/nested'), {recursive: true})
  writeFileSync(path.join(dir, 'good.yaml'), MINIMAL)
  writeFileSync(path.join(dir, 'broken.yaml'), BROKEN)
  writeFileSync(path.join(dir, 'warning.yml'), WARNING)
  writeFileSync(path.join(dir, 'tree/a.yaml'), MINIMAL)
  writeFileSync(path.join(dir, 'tree/nested/b.yml'), MINIMAL)
  writeFileSync(path.join(dir, 'tree/nested/notes.txt'), 'not a pipeline')
  writeFileSync(path.join(dir, 'settings.yaml'), 'llm:\n  providers:\n    - name: embed\n      provider_type: openai\n')
  writeFileSync(path.join(dir, 'profile.yaml'), MINIMAL.replace('- type: passthrough', '- type: embedding_generator\n        config: { provider: embed }'))
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('factflow config validate (built binary)', SLOW, () => {
  it('exits 0 and prints only the totals line for valid files', async () => {
    const result = await factflow('config', 'validate', path.join(dir, 'good.yaml'))
    expect(result.status).toBe(0)
    expect(result.stdout).toBe('1 file: 1 valid, 0 invalid; 0 errors, 0 warnings\n')
  })

  it('prints file:line:col: severity CODE message (suggestion) and exits 2 for an invalid file', async () => {
    const file = path.join(dir, 'broken.yaml')
    const result = await factflow('config', 'validate', file)
    expect(result.status).toBe(2)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toEqual([
      `${file}:5:40: error E105 unknown key \`concurency\` in \`inbound\` (did you mean \`concurrency\`?)`,
      `${file}:7:15: error E103 adapter type \`web_scrapper\` is not registered (did you mean \`web_scraper\`?)`,
      '1 file: 0 valid, 1 invalid; 2 errors, 0 warnings',
    ])
    expect(result.stderr).toBe('')
  })

  it('prints exactly one JSON document with files and totals for --json and --output json', async () => {
    const results = await Promise.all([['--json'], ['--output', 'json']].map((flag) =>
      factflow('config', 'validate', path.join(dir, 'good.yaml'), path.join(dir, 'broken.yaml'), ...flag)))
    for (const result of results) {
      expect(result.status).toBe(2)
      const document = JSON.parse(result.stdout)
      expect(document.totals).toEqual({files: 2, valid: 1, invalid: 1, errors: 2, warnings: 0})
      expect(document.files.map((file: {is_valid: boolean}) => file.is_valid)).toEqual([true, false])
      expect(document.files[1].issues[0]).toEqual({
        severity: 'error', code: 'E105', path: 'routes.crawl.inbound.concurency', line: 5, column: 40,
        message: 'unknown key `concurency` in `inbound`', suggestion: 'did you mean `concurrency`?',
      })
    }
  })

  it('prints GitHub annotations with --output github', async () => {
    const file = path.join(dir, 'broken.yaml')
    const result = await factflow('config', 'validate', file, path.join(dir, 'warning.yml'), '--output', 'github')
    const lines = result.stdout.trimEnd().split('\n')
    const escaped = file.replaceAll(':', '%3A').replaceAll(',', '%2C')
    expect(lines[0]).toBe(`::error file=${escaped},line=5,col=40,title=E105::unknown key \`concurency\` in \`inbound\` (did you mean \`concurrency\`?)`)
    expect(lines[2]).toMatch(/^::warning file=.*warning\.yml,line=1,col=1,title=W502::route `crawl` retry failed messages/)
    expect(lines.at(-1)).toBe('2 files: 1 valid, 1 invalid; 2 errors, 1 warning')
    expect(result.status).toBe(2)
  })

  it('validates directories recursively (*.yaml and *.yml only)', async () => {
    const result = await factflow('config', 'validate', path.join(dir, 'tree'), '--json')
    const document = JSON.parse(result.stdout)
    expect(document.files.map((file: {file: string}) => path.relative(dir, file.file))).toEqual(['tree/a.yaml', 'tree/nested/b.yml'])
    expect(result.status).toBe(0)
  })

  it('reports a missing path as an issue of that path and exits 2', async () => {
    const missing = path.join(dir, 'nope.yaml')
    const result = await factflow('config', 'validate', missing, path.join(dir, 'good.yaml'), '--json')
    expect(result.status).toBe(2)
    const document = JSON.parse(result.stdout)
    expect(document.files[0]).toMatchObject({file: missing, is_valid: false, issues: [{code: 'E007', line: null}]})
    expect(document.files[1].is_valid).toBe(true)
  })

  it('fails warnings only with --strict', async () => {
    const [plain, strict] = await Promise.all([
      factflow('config', 'validate', path.join(dir, 'warning.yml')),
      factflow('config', 'validate', path.join(dir, 'warning.yml'), '--strict'),
    ])
    expect(plain.status).toBe(0)
    expect(strict.status).toBe(2)
  })

  it('applies the naming rules of --provider', async () => {
    const result = await factflow('config', 'validate', path.join(dir, 'good.yaml'), '--provider', 'pulsar', '--json')
    expect(JSON.parse(result.stdout).files[0].issues).toEqual([])
    writeFileSync(path.join(dir, 'pulsar-only.yaml'), MINIMAL.replaceAll('/queue/', 'persistent://public/default/'))
    const [artemis, pulsar] = await Promise.all([
      factflow('config', 'validate', path.join(dir, 'pulsar-only.yaml'), '--json'),
      factflow('config', 'validate', path.join(dir, 'pulsar-only.yaml'), '--provider', 'pulsar', '--json'),
    ])
    expect(JSON.parse(artemis.stdout).files[0].issues.map((issue: {code: string}) => issue.code)).toEqual(['E201', 'E201'])
    expect(artemis.status).toBe(2)
    expect(pulsar.status).toBe(0)
  })

  it('knows the profiles of --settings and --llm-profiles', async () => {
    const file = path.join(dir, 'profile.yaml')
    const results = await Promise.all([
      factflow('config', 'validate', file),
      factflow('config', 'validate', file, '--settings', path.join(dir, 'settings.yaml')),
      factflow('config', 'validate', file, '--llm-profiles', 'other,embed'),
    ])
    expect(results.map((result) => result.status)).toEqual([2, 0, 0])
  })

  it('reports an unreadable settings file as a coded error with a hint, exit 2', async () => {
    const result = await factflow('config', 'validate', path.join(dir, 'good.yaml'), '--settings', path.join(dir, 'missing-settings.yaml'))
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^Error \[SETTINGS_NOT_FOUND\]: .*\nHint: /)
  })

  it('rejects an unknown flag value with exit 2', async () => {
    expect((await factflow('config', 'validate', path.join(dir, 'good.yaml'), '--provider', 'kafka')).status).toBe(2)
  })

  it('validates the shipped pipelines with zero issues', async () => {
    const result = await factflow('config', 'validate', ...SHIPPED.map((name) => path.join(PIPELINES, name)), '--strict')
    expect(result.stdout).toBe('3 files: 3 valid, 0 invalid; 0 errors, 0 warnings\n')
    expect(result.status).toBe(0)
  })
})

describe('factflow config schema (built binary)', SLOW, () => {
  it('prints a draft 2020-12 JSON Schema that accepts the shipped pipelines and rejects broken ones', async () => {
    const result = await factflow('config', 'schema')
    expect(result.status).toBe(0)
    const schema = JSON.parse(result.stdout)
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    const validate = new Ajv2020({strict: false, allErrors: true}).compile(schema)
    for (const name of SHIPPED) {
      // The schema sees the file as an editor does: placeholders are not substituted.
      const document = parse(readShipped(name).replaceAll(/\$\{MAX_URLS:-(\d+)\}/g, '$1'))
      expect(validate(document), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
    expect(validate(parse(BROKEN))).toBe(false)
    expect(validate(parse(MINIMAL.replace('- type: passthrough', '- type: web_scraper\n        config: { timeout: "slow" }')))).toBe(false)
    expect(validate(parse(MINIMAL.replace('- type: passthrough', '- type: web_scraper\n        config: { timeout: 5 }')))).toBe(true)
  })
})

describe('factflow adapters (built binary)', SLOW, () => {
  it('lists the catalog as a table with TYPE FAMILY IMPLEMENTED SUMMARY', async () => {
    const result = await factflow('adapters', 'list')
    expect(result.status).toBe(0)
    const [header, ...rows] = result.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^TYPE\s+FAMILY\s+IMPLEMENTED\s+SUMMARY$/)
    expect(rows.find((row) => row.startsWith('web_scraper '))).toMatch(/web_scraper\s+web\s+(yes|no)\s+Fetches one URL/)
    expect(rows.find((row) => row.startsWith('directory_lister '))).toMatch(/\s+files\s+yes\s+/)
  })

  it('lists the catalog as JSON with --json', async () => {
    const rows = JSON.parse((await factflow('adapters', 'list', '--json')).stdout)
    const types = rows.map((row: {type: string}) => row.type)
    for (const type of ['sitemap_parser', 'url_expander', 'web_scraper', 'web_crawler', 'web_content_storage', 'storage_retriever',
      'html_to_markdown', 'smart_segmenter', 'segment_publisher', 'markdown_storage_writer', 'llm_translator', 'llm_transform',
      'embedding_generator', 'directory_lister', 'file_reader']) expect(types).toContain(type)
  })

  it('shows an adapter with its fields, defaults, example and implementation status', async () => {
    const result = await factflow('adapters', 'show', 'smart_segmenter')
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/max_tokens\s+integer 16\.\.32768\s+512\s+no\s+Token budget/)
    expect(result.stdout).toContain('"cl100k_base" | "o200k_base"')
    expect(result.stdout).toContain('Example step:\n  - type: smart_segmenter\n    config:\n      max_tokens: 512')
    expect(result.stdout).toMatch(/implemented: (yes|no)/)
  })

  it('shows required fields of llm_translator and says when an adapter is not implemented', async () => {
    const result = await factflow('adapters', 'show', 'llm_translator', '--json')
    const document = JSON.parse(result.stdout)
    expect(document.fields.find((field: {name: string}) => field.name === 'target_language')).toMatchObject({required: true, type: 'string'})
    expect(document.config_schema.required).toEqual(['target_language'])
    if (!document.implemented) expect((await factflow('adapters', 'show', 'llm_translator')).stdout).toContain('not implemented yet: `factflow run` refuses it')
  })

  it('exits 2 with a did-you-mean for an unknown type', async () => {
    const result = await factflow('adapters', 'show', 'web_scrapper')
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Error [ADAPTER_UNKNOWN]')
    expect(result.stderr).toContain('web_scraper')
  })
})
