import {Hono} from 'hono'
import {describe, expect, it} from 'vitest'

import {identityMiddleware, type IdentityEnv} from '../../server/identity.js'

/** The middleware over a handler that echoes the identity; `remote` stands in for the socket's address. */
function appFor(auth: Parameters<typeof identityMiddleware>[0], remote: string) {
  const app = new Hono<IdentityEnv>()
  app.use('*', identityMiddleware(auth, () => remote))
  app.get('/who', (c) => c.json({identity: c.get('identity') ?? null}))
  return app
}

describe('identity from trusted proxies', () => {
  const auth = {required: false, userHeader: 'X-Forwarded-User', emailHeader: 'X-Forwarded-Email', trustedProxies: ['10.0.0.5']}

  it('takes the identity headers from a trusted proxy', async () => {
    const response = await appFor(auth, '::ffff:10.0.0.5').request('/who', {headers: {'X-Forwarded-User': 'ada', 'X-Forwarded-Email': 'ada@example.com'}})
    expect(await response.json()).toEqual({identity: {user: 'ada', email: 'ada@example.com'}})
  })

  it('ignores forged headers from any other address', async () => {
    const response = await appFor(auth, '10.0.0.6').request('/who', {headers: {'X-Forwarded-User': 'mallory'}})
    expect(await response.json()).toEqual({identity: null})
  })

  it('refuses a call without a trusted identity when auth is required', async () => {
    const app = appFor({...auth, required: true}, '10.0.0.6')
    const response = await app.request('/who', {headers: {'X-Forwarded-User': 'mallory'}})
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({error_code: 'AUTH_REQUIRED'})
  })
})
