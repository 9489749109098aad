import {UserInputError} from '../errors/index.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/**
 * Checks an id before it reaches a `uuid` column (the database would answer with a bare
 * "invalid input syntax" error).
 * @throws UserInputError `INVALID_ID`.
 */
export function assertUuid(value: string, what: string): string {
  if (!UUID.test(value)) {
    throw new UserInputError('INVALID_ID', `Not a valid ${what}: ${JSON.stringify(value)}`, {hint: `A ${what} is a UUID.`})
  }
  return value
}
