import type dns from 'node:dns'

import {Agent, buildConnector, type Dispatcher} from 'undici'

import {addressRefusal, AddressRefusedError, guardedLookup, isIpLiteral, type NetworkPolicy} from './address-policy.js'

export interface GuardedDispatcherOptions {
  /** Name resolution (default `dns.lookup`); tests pass one that maps names to chosen addresses. */
  lookup?: typeof dns.lookup
  /** Extra trusted certificates (PEM) besides the system's: a private CA, or a test's self-signed one. */
  ca?: string | string[]
}

/**
 * An undici dispatcher whose every connection is checked against `policy`: a literal IP host
 * before connecting, a name on the addresses it resolves to, in the lookup the socket connects
 * with (so the address checked is the address connected to: no DNS-rebinding gap). A refused
 * connection fails the request with an `AddressRefusedError` as its cause (code
 * `ERR_ADDRESS_REFUSED`). Connections are pooled per origin as undici's `Agent` does.
 */
export function createGuardedDispatcher(policy: NetworkPolicy, options: GuardedDispatcherOptions = {}): Dispatcher {
  const connector = buildConnector({lookup: guardedLookup(policy, options.lookup), ...(options.ca === undefined ? {} : {ca: options.ca})})
  return new Agent({
    connect(connectOptions, callback) {
      const host = connectOptions.hostname
      if (isIpLiteral(host)) {
        const refused = addressRefusal(host, policy)
        if (refused !== undefined) {
          callback(new AddressRefusedError(`${host} is refused: ${refused}`), null)
          return
        }
      }
      connector(connectOptions, callback)
    },
  })
}

/** The `AddressRefusedError` behind a failed request (undici wraps it as the cause of a TypeError), if any. */
export function addressRefusedCause(error: unknown): AddressRefusedError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof AddressRefusedError || (current as {code?: unknown}).code === 'ERR_ADDRESS_REFUSED') return current as AddressRefusedError
  }
  return undefined
}
