import net from 'node:net'

/**
 * Real services the tests talk to. On a developer laptop a missing service skips its tests with a
 * notice; under CI (`CI=true`) a missing service is a failure, never a silent skip.
 */
export const POSTGRES_URL = process.env.FACTFLOW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const AMQP_URL = process.env.FACTFLOW_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const STOMP_URL = process.env.FACTFLOW_TEST_STOMP_URL ?? 'stomp://guest:guest@127.0.0.1:61613'

export async function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    const done = (ok: boolean) => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Resolves true when the service answers. When it does not: under CI throws (the suite fails),
 * otherwise prints a notice and resolves false so the caller can `describe.skipIf`.
 */
export async function serviceAvailable(name: string, url: string): Promise<boolean> {
  const parsed = new URL(url)
  const ok = await portOpen(parsed.hostname, Number(parsed.port))
  if (ok) return true
  if (process.env.CI === 'true') throw new Error(`${name} is required in CI but ${parsed.host} does not answer`)
  console.warn(`[skip] ${name} at ${parsed.host} is not reachable: its tests are skipped on this machine`)
  return false
}

/** `AdapterResources.database` for adapter tests that need no database. */
export async function noTestDatabase(): Promise<never> {
  throw new Error('this test has no database')
}
