import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'

import {UserInputError} from '../errors/index.js'

/** A compiled JSON Schema check of model answers. */
export interface JsonAnswerChecker {
  /** The parsed value, or why the answer is not acceptable (one line, fit to send back to the model). */
  check(answer: string): {ok: true; value: unknown} | {ok: false; problem: string}
}

/**
 * Compiles `schema` once (ajv, draft-07/2019 keywords, all errors, unknown formats ignored).
 * Throws `UserInputError` LLM_JSON_SCHEMA_INVALID when the schema itself is broken.
 */
export function createJsonAnswerChecker(schema: Record<string, unknown>): JsonAnswerChecker {
  let validate: ValidateFunction
  try {
    validate = new Ajv({allErrors: true, strict: false, validateFormats: false}).compile(schema)
  } catch (error) {
    throw new UserInputError('LLM_JSON_SCHEMA_INVALID', `json_schema is not a valid JSON Schema: ${(error as Error).message}`, {
      hint: 'Fix json_schema in the llm_transform config (see https://json-schema.org).',
    })
  }
  return {
    check(answer) {
      let value: unknown
      try {
        value = JSON.parse(stripCodeFence(answer))
      } catch (error) {
        return {ok: false, problem: `the answer is not JSON (${(error as Error).message})`}
      }
      if (validate(value)) return {ok: true, value}
      return {ok: false, problem: `the JSON does not match the schema: ${describeErrors(validate.errors ?? [])}`}
    },
  }
}

/** Models often wrap JSON in a ```json fence despite being told not to; that much is forgiven. */
function stripCodeFence(answer: string): string {
  const trimmed = answer.trim()
  const fenced = /^```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/.exec(trimmed)
  return fenced === null ? trimmed : fenced[1]!
}

function describeErrors(errors: readonly ErrorObject[]): string {
  return errors.slice(0, 5).map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`).join('; ')
}
