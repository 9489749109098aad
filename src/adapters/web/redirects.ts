import {ExternalError} from '../../errors/index.js'
import {type FetchedResponse, isRedirectStatus} from './http-fetch.js'

/** Hops followed before giving up (browsers allow 20; a site needing more than 10 is broken). */
export const MAX_REDIRECTS = 10

export interface FollowedResponse {
  response: FetchedResponse
  /** The URL that gave `response` (the request URL when nothing was followed). */
  finalUrl: string
  /** The URLs redirected from, in order. */
  redirects: string[]
}

/** What `fetchFollowing` tells each hop. */
export interface RedirectHop {
  /**
   * The hop is on the origin of the first request: the caller's own headers (Authorization,
   * Cookie, …) may go with it. A redirect to another origin must not carry them.
   */
  sameOrigin: boolean
}

/**
 * Runs `fetchHop` on `url` and, when `follow`, on each `Location` it is redirected to, bounded by
 * `maxRedirects`. Each hop is fetched by the caller, so each is checked by the network policy of the
 * caller's dispatcher, and told whether it is on the first request's origin (`RedirectHop`). A hop
 * to a URL already visited fails at once with terminal `REDIRECT_LOOP`; too many hops →
 * `TOO_MANY_REDIRECTS`; a Location that is not an http(s) URL → `REDIRECT_INVALID`; an https page
 * redirecting to http → `REDIRECT_DOWNGRADE` (all terminal, nothing sent to the refused hop).
 * Without `follow`, or for a 3xx without Location, the 3xx response itself is returned.
 */
export async function fetchFollowing(
  url: string,
  fetchHop: (url: string, hop: RedirectHop) => Promise<FetchedResponse>,
  options: {follow: boolean; maxRedirects?: number},
): Promise<FollowedResponse> {
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS
  const visited = [url]
  const origin = new URL(url).origin
  let current = url
  for (;;) {
    const response = await fetchHop(current, {sameOrigin: new URL(current).origin === origin})
    const location = response.headers.get('location')
    if (!options.follow || !isRedirectStatus(response.status) || !location) {
      return {response, finalUrl: current, redirects: visited.slice(0, -1)}
    }
    const next = redirectTarget(location, current)
    if (visited.includes(next)) {
      throw new ExternalError('REDIRECT_LOOP', `${url} redirects in a loop (${[...visited, next].join(' → ')}).`, {
        hint: 'The site is misconfigured for this URL; it is not retried.',
        details: {url, redirects: visited},
      })
    }
    if (visited.length > maxRedirects) {
      throw new ExternalError('TOO_MANY_REDIRECTS', `${url} redirected more than ${maxRedirects} times.`, {
        hint: 'The site is misconfigured for this URL; it is not retried.',
        details: {url, redirects: visited},
      })
    }
    visited.push(next)
    current = next
  }
}

/**
 * Where a redirect from `current` to `location` leads, as an absolute URL without fragment.
 * @throws ExternalError `REDIRECT_INVALID` (not http(s)), `REDIRECT_DOWNGRADE` (https → http); terminal.
 */
export function redirectTarget(location: string, current: string): string {
  const next = resolveLocation(location, current)
  if (current.startsWith('https:') && next.startsWith('http:')) {
    throw new ExternalError('REDIRECT_DOWNGRADE', `${current} redirects to ${next}, from https to plain http; not followed.`, {
      details: {url: current, location: next},
    })
  }
  return next
}

function resolveLocation(location: string, base: string): string {
  let next: URL | undefined
  try {
    next = new URL(location, base)
  } catch {
    next = undefined
  }
  if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
    throw new ExternalError('REDIRECT_INVALID', `${base} redirects to "${location}", which is not an http(s) URL.`, {
      hint: 'The site sent an unusable Location header; it is not retried.',
      details: {url: base, location},
    })
  }
  next.hash = ''
  return next.href
}
