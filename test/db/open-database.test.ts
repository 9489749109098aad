import net from 'node:net'
import {describe, expect, it} from 'vitest'
import {UnavailableError} from '../../src/errors/index.js'
import {openDatabase, parseDatabaseLocation} from '../../src/db/open-database.js'

describe('parseDatabaseLocation', () => {
  it('reads postgres URLs, memory and embedded paths', () => {
    expect(parseDatabaseLocation('postgres://u@h:5432/db')).toEqual({kind: 'postgres', url: 'postgres://u@h:5432/db'})
    expect(parseDatabaseLocation('postgresql://h/db')).toEqual({kind: 'postgres', url: 'postgresql://h/db'})
    expect(parseDatabaseLocation('memory://')).toEqual({kind: 'pglite', dataDir: undefined})
    expect(parseDatabaseLocation('pglite://./output/db')).toEqual({kind: 'pglite', dataDir: './output/db'})
    expect(parseDatabaseLocation('file:///var/lib/factflow')).toEqual({kind: 'pglite', dataDir: '/var/lib/factflow'})
    expect(parseDatabaseLocation('./output/db')).toEqual({kind: 'pglite', dataDir: './output/db'})
  })

  it('refuses other schemes', () => {
    expect(() => parseDatabaseLocation('mysql://h/db')).toThrow(expect.objectContaining({code: 'DATABASE_URL_INVALID'}))
    expect(() => parseDatabaseLocation('')).toThrow(expect.objectContaining({code: 'DATABASE_URL_INVALID'}))
  })
})

describe('openDatabase', () => {
  it('reports a refused PostgreSQL connection as DATABASE_UNREACHABLE, naming the URL but not the password', async () => {
    const port = await freePort()
    const url = `postgres://factflow:s3cret@127.0.0.1:${port}/nowhere`
    const error = await openDatabase(url, {connectTimeoutMs: 2_000}).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(error).toMatchObject({code: 'DATABASE_UNREACHABLE', retryable: true, exitCode: 4})
    const {message, hint} = error as UnavailableError
    expect(hint).toContain(`127.0.0.1:${port}/nowhere`)
    expect(`${message} ${hint}`).not.toContain('s3cret')
  })
})

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
