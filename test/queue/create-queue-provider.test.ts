import {describe, expect, it} from 'vitest'

import {UserInputError} from '../../src/errors/index.js'
import {silentLogger} from '../../src/logging/logger.js'
import {createQueueProvider, scopeDestination} from '../../src/queue/create-queue-provider.js'
import {MemoryQueueProvider} from '../../src/queue/memory-queue-provider.js'

describe('createQueueProvider', () => {
  it('takes the in-process queue limits from memory:// parameters, and refuses bad ones with a hint', async () => {
    const provider = await createQueueProvider('memory://?max_depth=3', {logger: silentLogger})
    await provider.publishBatch([0, 1].map((i) => ({destination: '/queue/limited', body: String(i)})))
    let third = false
    void provider.publish('/queue/limited', '2').then(() => { third = true })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(third).toBe(false)
    await provider.close()
    for (const [url, message] of [
      ['memory://?max_depth=0', 'max_depth must be a whole number of at least 1'],
      ['memory://?max_chars=lots', 'max_chars must be a whole number of at least 1'],
      ['memory://?depth=10', 'unknown memory:// parameter "depth"'],
    ] as const) {
      await expect(createQueueProvider(url, {logger: silentLogger})).rejects.toMatchObject({
        code: 'QUEUE_URL_INVALID', message: expect.stringContaining(message), hint: expect.stringContaining('max_depth'),
      })
    }
  })

  it('builds the in-process provider for memory://', async () => {
    const provider = await createQueueProvider('memory://', {logger: silentLogger})
    expect(provider).toBeInstanceOf(MemoryQueueProvider)
    expect(provider.kind).toBe('memory')
  })

  it('builds the AMQP and STOMP providers unconnected, taking the reconnect parameters off the URL', async () => {
    const amqp = await createQueueProvider('amqp://guest:guest@127.0.0.1:5672?reconnect_deadline_ms=5000', {logger: silentLogger})
    expect(amqp.kind).toBe('amqp')
    const stomp = await createQueueProvider('stomp://guest:guest@127.0.0.1:61613', {logger: silentLogger})
    expect(stomp.kind).toBe('stomp')
    await expect(createQueueProvider('amqp://host?reconnect_deadline_ms=soon', {logger: silentLogger})).rejects.toMatchObject({code: 'QUEUE_URL_INVALID'})
  })

  it('fails to connect to a port where no broker listens with a coded, retryable error (exit 4)', async () => {
    for (const url of ['amqp://guest:guest@127.0.0.1:1', 'stomp://guest:guest@127.0.0.1:1', 'pulsar://guest:guest@127.0.0.1:1']) {
      const provider = await createQueueProvider(url, {logger: silentLogger})
      const error = await provider.connect().catch((caught: unknown) => caught)
      expect(error).toMatchObject({code: 'QUEUE_BROKER_UNREACHABLE', exitCode: 4})
      expect((error as Error).message).not.toContain('guest:guest')
      await provider.close()
    }
  })

  it('builds the Pulsar provider for every pulsar scheme, unconnected', async () => {
    for (const url of ['pulsar://host', 'pulsar+ws://host:8080/tenant/ns?reconnect_deadline_ms=5000', 'pulsar+ssl://:token@host']) {
      const provider = await createQueueProvider(url, {logger: silentLogger})
      expect(provider.kind).toBe('pulsar')
      await provider.close()
    }
  })

  it.each([
    ['pulsar://host:6650', 'binary protocol', 'pulsar://host:8080'],
    ['pulsar+ssl://host:6651', 'binary protocol', 'pulsar+ssl://host:8443'],
    ['pulsar://host:8080/only-tenant', '/<tenant>/<namespace>', 'pulsar://host:8080/public/default'],
    ['pulsar://host:8080?topic=x', 'unknown pulsar:// parameter "topic"', 'reconnect_deadline_ms'],
  ])('refuses %s as a user error that says why and what to write instead', async (url, message, hint) => {
    const error = await createQueueProvider(url, {logger: silentLogger}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'QUEUE_URL_INVALID', message: expect.stringContaining(message), hint: expect.stringContaining(hint)})
  })

  it('never echoes a password from the URL', async () => {
    const error = await createQueueProvider('pulsar://guest:s3cret@host:6650', {logger: silentLogger}).catch((caught: unknown) => caught) as Error
    expect(error.message + (error as UserInputError).hint).not.toContain('s3cret')
    const invalid = await createQueueProvider('kafka://user:s3cret@host', {logger: silentLogger}).catch((caught: unknown) => caught) as Error
    expect(invalid.message).not.toContain('s3cret')
  })

  it.each(['kafka://host', 'not a url', '', 'http://host'])('rejects %j listing the accepted forms', async (url) => {
    const error = await createQueueProvider(url, {logger: silentLogger}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UserInputError)
    expect(error).toMatchObject({code: 'QUEUE_URL_INVALID', hint: expect.stringContaining('amqp://')})
  })
})

describe('scopeDestination', () => {
  const id = '0190f1a2-7b3c-7def-8123-456789abcdef'

  it('prefixes point-to-point queues with the execution id', () => {
    expect(scopeDestination('/queue/markdown', id)).toBe(`/queue/exec.${id}.markdown`)
    expect(scopeDestination('markdown', id)).toBe(`exec.${id}.markdown`)
    expect(scopeDestination('persistent://factflow/default/markdown', id)).toBe(`persistent://factflow/default/exec.${id}.markdown`)
  })

  it('leaves topics unchanged', () => {
    expect(scopeDestination('/topic/events', id)).toBe('/topic/events')
  })

  it('does not scope twice', () => {
    const once = scopeDestination('/queue/markdown', id)
    expect(scopeDestination(once, id)).toBe(once)
  })
})
