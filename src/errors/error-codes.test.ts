import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {ERROR_CODES, ERROR_KIND_OUTCOMES, type ErrorCodeKind, errorCodeEntry, isErrorCode} from './error-codes.js'
import {renderErrorDocs} from './error-docs.js'
import {
  CancelledError, ConflictError, ExternalError, FactflowError, InternalError, LimitExceededError, NotFoundError,
  UnavailableError, UserInputError,
} from './factflow-error.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const docsFile = join(root, 'docs', 'errors.md')

const KIND_OF_CLASS: Record<string, ErrorCodeKind> = {
  UserInputError: 'user', NotFoundError: 'not_found', ConflictError: 'conflict', LimitExceededError: 'limit',
  ExternalError: 'external', UnavailableError: 'unavailable', CancelledError: 'cancelled', InternalError: 'bug', FactflowError: 'bug',
}

/**
 * Throw sites whose class disagrees with the catalogue's kind today. Codes are a contract, so these
 * wait for a decision rather than a rename; a new disagreement fails the test.
 */
const KNOWN_KIND_MISMATCHES = new Set([
  'NotFoundError EXECUTION_NOT_RUNNING src/runtime/execution-manager.ts',
  'UserInputError ROUTE_NOT_FOUND src/engine/pipeline-orchestrator.ts',
  'FactflowError DATABASE_OPEN_FAILED src/db/pglite-database.ts',
  // The test-only `fail` adapter throws either, as its `retryable` setting asks.
  'ExternalError INJECTED_FAILURE src/adapters/testing/fail.ts',
  'ExternalError INJECTED_FAILURE src/adapters/testing/cpu-tasks.ts',
])

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

const sources = ['src', 'server', 'commands'].flatMap(sourceFiles).map((file) => ({file, text: readFileSync(join(root, file), 'utf8')}))

/** Every code written as a literal where an error is made: `new XxxError('CODE'`, `super('CODE'`, `errorBody('CODE'`. */
function literalCodes(): Array<{code: string; className: string | undefined; file: string}> {
  const found = []
  for (const {file, text} of sources) {
    for (const match of text.matchAll(/(?:new\s+(\w*Error)|super|errorBody)\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g)) {
      found.push({code: match[2]!, className: match[1], file})
    }
  }
  return found
}

describe('the error code catalogue', () => {
  it('lists every code that src/, server/ and commands/ write as a literal', () => {
    const found = literalCodes()
    expect(found.length).toBeGreaterThan(100)
    const missing = found.filter(({code}) => !isErrorCode(code)).map(({code, file}) => `${code} (${file})`)
    expect(missing).toEqual([])
  })

  it('gives each code the kind of the error class thrown with it', () => {
    const mismatches = literalCodes()
      .filter(({className}) => className !== undefined && KIND_OF_CLASS[className] !== undefined)
      .filter(({code, className}) => errorCodeEntry(code)?.kind !== KIND_OF_CLASS[className!])
      .map(({code, className, file}) => `${className} ${code} ${file}`)
    expect(mismatches.filter((m) => !KNOWN_KIND_MISMATCHES.has(m))).toEqual([])
    expect([...KNOWN_KIND_MISMATCHES].filter((m) => !mismatches.includes(m)), 'resolved: drop it from the list').toEqual([])
  })

  it('holds no code that the sources never use', () => {
    const everything = sources.filter(({file}) => !file.startsWith('src/errors/')).map(({text}) => text).join('\n')
    const unused = Object.keys(ERROR_CODES).filter((code) => !new RegExp(`['"\`]${code}['"\`]`).test(everything))
    expect(unused).toEqual([])
  })

  it('says per kind the same HTTP status and exit code as the error classes', () => {
    const classes = {
      user: UserInputError, not_found: NotFoundError, conflict: ConflictError, limit: LimitExceededError, external: ExternalError,
      unavailable: UnavailableError, cancelled: CancelledError, bug: InternalError,
    } satisfies Record<ErrorCodeKind, typeof FactflowError>
    for (const [kind, ErrorClass] of Object.entries(classes)) {
      const error = new ErrorClass('INTERNAL_ERROR', 'x')
      expect({kind, httpStatus: error.httpStatus, exitCode: error.exitCode}).toEqual({kind, ...ERROR_KIND_OUTCOMES[kind as ErrorCodeKind]})
    }
  })

  it('resolves status codes to their family and nothing else', () => {
    expect(errorCodeEntry('SITEMAP_HTTP_404')?.summary).toContain('sitemap')
    expect(errorCodeEntry('LLM_HTTP_500')?.summary).toContain('LLM')
    expect(errorCodeEntry('HTTP_410')?.kind).toBe('external')
    expect(errorCodeEntry('HTTP_TIMEOUT')).toBe(ERROR_CODES.HTTP_TIMEOUT)
    expect(isErrorCode('HTTP_')).toBe(false)
    expect(isErrorCode('NO_SUCH_CODE')).toBe(false)
  })

  it("fills in the catalogue's hint when the throw site gives none, and keeps the throw site's otherwise", () => {
    expect(new NotFoundError('EXECUTION_NOT_FOUND', 'x').hint).toBe(ERROR_CODES.EXECUTION_NOT_FOUND.hint)
    expect(new NotFoundError('EXECUTION_NOT_FOUND', 'x', {hint: 'own'}).hint).toBe('own')
    expect(new UserInputError('SEARCH_QUERY_EMPTY', 'x').hint).toBeUndefined()
  })

  it('is what docs/errors.md says', () => {
    const rendered = renderErrorDocs()
    if (process.env.UPDATE_ERROR_DOCS === '1') writeFileSync(docsFile, rendered)
    expect(readFileSync(docsFile, 'utf8'), 'docs/errors.md is out of date: UPDATE_ERROR_DOCS=1 npx vitest run src/errors/error-codes.test.ts').toBe(rendered)
  })
})
