import {ERROR_CODE_FAMILIES, ERROR_CODES, ERROR_KIND_OUTCOMES, type ErrorCodeEntry} from './error-codes.js'

/** docs/errors.md, rendered from the catalogue (a test keeps the file equal to this). */
export function renderErrorDocs(): string {
  const codes = Object.entries(ERROR_CODES).sort(([a], [b]) => a.localeCompare(b))
  const families = Object.entries(ERROR_CODE_FAMILIES).map(([prefix, entry]) => [`${prefix}<status>`, entry] as const)
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/error-codes.ts; do not edit by hand.',
    '     Regenerate: UPDATE_ERROR_DOCS=1 npx vitest run src/errors/error-codes.test.ts -->',
    '',
    'Every error factflow reports carries a stable code: the `error_code` of an API error body, the',
    '`Error [CODE]: …` line of the CLI. Codes are a contract: they are added, never renamed. The hint',
    'shown is the one below unless the failure has a more precise one.',
    '',
    '"Status / exit" is the HTTP status the server answers with and the exit code of the CLI; codes',
    'only the server writes have no exit code.',
    '',
    '| Code | Meaning | Status / exit | Hint |',
    '| --- | --- | --- | --- |',
    ...codes.map(([code, entry]) => row(code, entry)),
    '',
    '## Codes built from an HTTP status',
    '',
    '| Code | Meaning | Status / exit | Hint |',
    '| --- | --- | --- | --- |',
    ...families.map(([code, entry]) => row(code, entry)),
    '',
  ].join('\n')
}

function row(code: string, entry: ErrorCodeEntry): string {
  const outcome = ERROR_KIND_OUTCOMES[entry.kind]
  const status = entry.apiStatus ?? `${outcome.httpStatus} / exit ${outcome.exitCode}`
  return `| \`${code}\` | ${cell(entry.summary)} | ${status} | ${cell(entry.hint ?? '')} |`
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;')
}
