import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {UserInputError} from '../../src/errors/index.js'
import {formatValidationSummary} from '../../src/config/format-report.js'
import {validatePipelineFiles} from '../../src/config/validate-files.js'
import {MINIMAL, ROOT} from './helpers.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'factflow-files-'))
  mkdirSync(path.join(dir, 'empty'))
  mkdirSync(path.join(dir, 'tree/node_modules/pkg'), {recursive: true})
  writeFileSync(path.join(dir, 'tree/ok.yaml'), MINIMAL)
  writeFileSync(path.join(dir, 'tree/node_modules/pkg/ignored.yaml'), 'not: a pipeline')
  writeFileSync(path.join(dir, 'bad.yaml'), MINIMAL.replace('passthrough', 'nope'))
  writeFileSync(path.join(dir, 'big.yaml'), `# ${'x'.repeat(1024 * 1024 + 10)}\n`)
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('validatePipelineFiles', () => {
  it('reports a missing path and a directory without pipelines as E007 issues of that path', async () => {
    const summary = await validatePipelineFiles({paths: [path.join(dir, 'missing.yaml'), path.join(dir, 'empty')], env: {}})
    expect(summary.files.map((file) => [path.basename(file.file), file.issues.map((issue) => issue.code)])).toEqual([
      ['missing.yaml', ['E007']],
      ['empty', ['E007']],
    ])
    expect(summary.totals).toEqual({files: 2, valid: 0, invalid: 2, errors: 2, warnings: 0})
  })

  it('skips node_modules when walking a directory', async () => {
    const summary = await validatePipelineFiles({paths: [path.join(dir, 'tree')], env: {}})
    expect(summary.files.map((file) => path.relative(dir, file.file))).toEqual(['tree/ok.yaml'])
  })

  it('refuses a file over 1 MiB without reading it', async () => {
    const summary = await validatePipelineFiles({paths: [path.join(dir, 'big.yaml')], env: {}})
    expect(summary.files[0]!.issues).toMatchObject([{code: 'E004', line: 1, column: 1}])
  })

  it('throws a coded user error for an unreadable settings file', async () => {
    await expect(validatePipelineFiles({paths: [path.join(dir, 'tree')], settingsFile: path.join(dir, 'none.yaml')})).rejects.toBeInstanceOf(UserInputError)
  })
})

describe('formatValidationSummary', () => {
  it('renders text, json and github forms of the same summary', async () => {
    const summary = await validatePipelineFiles({paths: [path.join(dir, 'bad.yaml'), path.join(dir, 'missing.yaml')], env: {}})
    const bad = path.join(dir, 'bad.yaml')
    const missing = path.join(dir, 'missing.yaml')
    expect(formatValidationSummary(summary, 'text')).toBe([
      `${bad}:7:15: error E103 adapter type \`nope\` is not registered (run \`factflow adapters list\` for the catalog)`,
      `${missing}: error E007 the path does not exist (check the path)`,
      '2 files: 0 valid, 2 invalid; 2 errors, 0 warnings',
      '',
    ].join('\n'))
    expect(JSON.parse(formatValidationSummary(summary, 'json'))).toEqual(summary)
    const github = formatValidationSummary(summary, 'github').split('\n')
    expect(github[0]).toBe(`::error file=${bad.replaceAll(':', '%3A')},line=7,col=15,title=E103::adapter type \`nope\` is not registered (run \`factflow adapters list\` for the catalog)`)
    expect(github[1]).toBe(`::error file=${missing},title=E007::the path does not exist (check the path)`)
  })

  it('escapes newlines and percent signs in GitHub annotations', () => {
    const text = formatValidationSummary({
      files: [{file: 'a,b:c.yaml', is_valid: false, error_count: 1, warning_count: 0, issues: [
        {severity: 'error', code: 'E001', path: '', line: 1, column: 2, message: '100%\nbroken', suggestion: null},
      ]}],
      totals: {files: 1, valid: 0, invalid: 1, errors: 1, warnings: 0},
    }, 'github')
    expect(text.split('\n')[0]).toBe('::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=E001::100%25%0Abroken')
  })
})

describe('config validate command in-process', () => {
  it('writes the report to stdout and sets exit code 2 for an invalid file', async () => {
    const {run} = await import('@oclif/core')
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const previous = process.exitCode
    try {
      await run(['config', 'validate', path.join(dir, 'bad.yaml')], ROOT)
      expect(process.exitCode).toBe(2)
    } finally {
      spy.mockRestore()
      process.exitCode = previous
    }
    expect(written.join('')).toContain('error E103 adapter type `nope` is not registered')
  })
})
