import {getConnInfo} from '@hono/node-server/conninfo'
import type {MiddlewareHandler} from 'hono'

import {errorBody} from './errors.js'

/** docs/reference/server.md, "Identity and trust". */
export interface AuthSettings {
  /** Every `/api` call without a trusted identity is a 401. */
  required: boolean
  /** Default `X-Forwarded-User`. */
  userHeader: string
  emailHeader?: string
  /** Addresses allowed to send identity headers (exact IPs); headers from anyone else are ignored. */
  trustedProxies: readonly string[]
}

export interface Identity {
  user: string
  email?: string
}

export type IdentityEnv = {Variables: {identity: Identity | undefined}}

const normalise = (address: string) => address.startsWith('::ffff:') ? address.slice(7) : address

/** The remote address of the request (undefined in socketless tests). */
function remoteAddress(c: Parameters<MiddlewareHandler>[0]): string | undefined {
  try {
    const address = getConnInfo(c).remote.address
    return address === undefined ? undefined : normalise(address)
  } catch {
    return undefined
  }
}

/** Reads the identity headers only from trusted proxies; with `required`, refuses calls without one. */
export function identityMiddleware(auth: AuthSettings, addressOf: (c: Parameters<MiddlewareHandler>[0]) => string | undefined = remoteAddress): MiddlewareHandler<IdentityEnv> {
  const trusted = new Set(auth.trustedProxies.map(normalise))
  return async (c, next) => {
    const raw = addressOf(c)
    const address = raw === undefined ? undefined : normalise(raw)
    const fromTrusted = address !== undefined && trusted.has(address)
    const user = fromTrusted ? c.req.header(auth.userHeader)?.trim() : undefined
    const email = fromTrusted && auth.emailHeader ? c.req.header(auth.emailHeader)?.trim() : undefined
    c.set('identity', user ? {user, ...(email ? {email} : {})} : undefined)
    if (auth.required && !user) {
      return c.json(errorBody('AUTH_REQUIRED', 'This server requires an identity forwarded by its trusted proxy.', {
        hint: 'Call the server through its SSO proxy.',
      }), 401)
    }
    await next()
  }
}
