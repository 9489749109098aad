import {redactCredentials} from '../secrets/redact-url.js'
import {UserInputError} from '../errors/index.js'
import {DEFAULT_RECONNECT, type ReconnectPolicy} from './broker-link.js'
import {QUEUE_ERROR_CODES} from './queue-errors.js'

const RECONNECT_PARAMS = {
  reconnect_deadline_ms: 'deadlineMs',
  reconnect_initial_delay_ms: 'initialDelayMs',
  reconnect_max_delay_ms: 'maxDelayMs',
} as const satisfies Record<string, keyof ReconnectPolicy>

/**
 * Takes factflow's own parameters off a broker URL (the rest is the client library's):
 * `reconnect_deadline_ms` (how long the broker may stay away, default 60000),
 * `reconnect_initial_delay_ms` (100), `reconnect_max_delay_ms` (5000).
 *
 * @throws UserInputError `QUEUE_URL_INVALID` for a value that is not a whole number ≥ 0.
 */
export function takeReconnectPolicy(url: URL): ReconnectPolicy {
  const policy = {...DEFAULT_RECONNECT}
  for (const [name, key] of Object.entries(RECONNECT_PARAMS)) {
    const raw = url.searchParams.get(name)
    if (raw === null) continue
    url.searchParams.delete(name)
    const value = Number(raw)
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new UserInputError(QUEUE_ERROR_CODES.urlInvalid, `${name} must be a whole number of milliseconds, got ${JSON.stringify(raw)}`, {
        hint: `e.g. ${url.protocol}//host?${name}=${DEFAULT_RECONNECT[key]}`,
      })
    }
    policy[key] = value
  }
  return policy
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: URL): string {
  return redactCredentials(url.href)
}
