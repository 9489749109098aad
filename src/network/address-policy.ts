import dns from 'node:dns'
import type {LookupFunction} from 'node:net'

import ipaddr from 'ipaddr.js'

import {UserInputError} from '../errors/index.js'

/**
 * `network.*` of the settings (docs/reference/server.md): what outbound connections may reach — webhooks,
 * web_scraper, sitemap_parser, robots.txt and web_crawler's Chromium alike.
 */
export interface NetworkPolicy {
  /** Loopback, private (RFC 1918, unique local), carrier-grade NAT and the unspecified address. */
  allowPrivate: boolean
  /** Link-local, which holds cloud metadata endpoints such as 169.254.169.254. */
  allowLinkLocal: boolean
  /**
   * Addresses or CIDR ranges (`10.1.2.3`, `10.1.0.0/16`, `fd00::/8`) reachable whatever the two
   * switches say (`network.allow_addresses`): one internal site without opening every private range.
   */
  allowAddresses?: readonly string[]
}

/** What `factflow run` allows by default: loopback and private ranges (one's own machine), not link-local. */
export const RUN_NETWORK_POLICY: Readonly<NetworkPolicy> = {allowPrivate: true, allowLinkLocal: false}
/** What `factflow serve` allows by default: public addresses only (it runs other people's pipelines). */
export const SERVE_NETWORK_POLICY: Readonly<NetworkPolicy> = {allowPrivate: false, allowLinkLocal: false}

/**
 * What an address is for the policy: `public` (global unicast), `private`, `link_local`, or
 * `reserved` (multicast, broadcast, documentation, benchmarking and the IPv6 transition ranges
 * that embed an IPv4 address): never a target, whatever the settings say.
 */
export type AddressClass = 'public' | 'private' | 'link_local' | 'reserved'

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96')

const PRIVATE_RANGES: ReadonlySet<string> = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat', 'unspecified'])

/** The class of an IPv4 or IPv6 address; IPv4-mapped IPv6 addresses count as their IPv4 address. */
export function classifyAddress(address: string): AddressClass {
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''))
  const range = parsed.range()
  // ::a.b.c.d (IPv4-compatible, deprecated) embeds an IPv4 address like the transition ranges do.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return 'reserved'
  if (range === 'unicast') return 'public'
  if (PRIVATE_RANGES.has(range)) return 'private'
  if (range === 'linkLocal') return 'link_local'
  return 'reserved'
}

/** Why the policy refuses `address`, or undefined when it may be reached. */
export function addressRefusal(address: string, policy: NetworkPolicy): string | undefined {
  if (policy.allowAddresses !== undefined && policy.allowAddresses.length > 0 && isListed(address, policy.allowAddresses)) return undefined
  const kind = classifyAddress(address)
  if (kind === 'public') return undefined
  if (kind === 'private' && policy.allowPrivate) return undefined
  if (kind === 'link_local' && policy.allowLinkLocal) return undefined
  const setting = kind === 'private' ? ' (network.allow_private is false)' : kind === 'link_local' ? ' (network.allow_link_local is false)' : ''
  return `${address} is a ${kind.replace('_', '-')} address${setting}`
}

/** True when `address` is one of `list` (addresses or CIDR ranges; IPv4-mapped IPv6 counts as IPv4). */
function isListed(address: string, list: readonly string[]): boolean {
  const parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''))
  return list.some((entry) => {
    const range = entry.includes('/') ? ipaddr.parseCIDR(entry) : [ipaddr.process(entry), ipaddr.process(entry).kind() === 'ipv4' ? 32 : 128] as const
    return range[0].kind() === parsed.kind() && parsed.match(range[0], range[1])
  })
}

/** Checks `network.allow_addresses` entries; returns the first one that is not an address or CIDR range. */
export function invalidAddressEntry(list: readonly string[]): string | undefined {
  return list.find((entry) => !(entry.includes('/') ? ipaddr.isValidCIDR(entry) : ipaddr.isValid(entry)))
}

/** True when `host` (a URL's hostname, brackets allowed) is an IP address rather than a name. */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''))
}

/** An address the policy refused; `code` lets socket errors be told apart. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED'
}

/**
 * A `lookup` for `http.request`/`net.connect` that resolves as usual, then refuses the connection
 * when any resolved address is outside the policy. The check runs on the addresses the socket
 * connects to, so a name that resolves publicly once and privately later (DNS rebinding) is
 * caught. Literal IP hosts never reach a lookup: check them with `addressRefusal` first.
 */
export function guardedLookup(policy: NetworkPolicy, lookup: typeof dns.lookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, {...options, all: true}, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const refused = addresses.map((a) => addressRefusal(a.address, policy)).find((reason) => reason !== undefined)
      if (refused !== undefined) return callback(new AddressRefusedError(`${hostname} resolves to ${refused}`), '', 0)
      if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]!
      callback(null, first.address, first.family)
    })
  }
}

/**
 * Checks an outbound URL against the policy now: http(s) only, no credentials in it, and every
 * address its host resolves to allowed.
 * @throws UserInputError `NETWORK_TARGET_INVALID`, `NETWORK_TARGET_REFUSED` or `NETWORK_TARGET_UNRESOLVABLE`.
 */
export async function checkTargetUrl(url: string, policy: NetworkPolicy): Promise<URL> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UserInputError('NETWORK_TARGET_INVALID', `${JSON.stringify(url.slice(0, 200))} is not a URL.`, {hint: 'Give an absolute http:// or https:// URL.'})
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserInputError('NETWORK_TARGET_INVALID', `Only http:// and https:// targets are allowed, not ${parsed.protocol}`, {hint: 'Give an absolute http:// or https:// URL.'})
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UserInputError('NETWORK_TARGET_INVALID', 'A target URL may not carry a user name or password.', {hint: 'Authenticate deliveries by their signature instead.'})
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  const addresses = ipaddr.isValid(host) ? [host] : await dns.promises.lookup(host, {all: true}).then((found) => found.map((a) => a.address), (error: NodeJS.ErrnoException) => {
    throw new UserInputError('NETWORK_TARGET_UNRESOLVABLE', `The host ${host} does not resolve (${error.code ?? error.message}).`, {hint: 'Check the host name; the target must resolve when it is registered.'})
  })
  for (const address of addresses) {
    const refused = addressRefusal(address, policy)
    if (refused !== undefined) {
      throw new UserInputError('NETWORK_TARGET_REFUSED', `The target ${host}${host === address ? '' : ` resolves to ${address}, which`} is refused: ${refused}.`, {
        hint: 'Use a public address, or allow private targets with network.allow_private (FACTFLOW_ALLOW_PRIVATE) / network.allow_link_local.',
      })
    }
  }
  return parsed
}
