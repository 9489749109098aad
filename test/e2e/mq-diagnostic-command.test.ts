import {afterAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {pulsarTestBroker} from '../helpers/pulsar-broker.js'
import {AMQP_URL, serviceAvailable, STOMP_URL} from '../helpers/services.js'

const amqp = await serviceAvailable('RabbitMQ (AMQP)', AMQP_URL)
const stomp = await serviceAvailable('RabbitMQ STOMP plugin', STOMP_URL)
const pulsar = await pulsarTestBroker()
afterAll(() => pulsar.close())

describe('factflow system mq-diagnostic --queue URL (built binary)', () => {
  it.each([
    {url: 'memory://', available: true},
    {url: AMQP_URL, available: amqp},
    {url: STOMP_URL, available: stomp},
    {url: pulsar.url, available: pulsar.available},
  ])('times a publish/consume round trip on $url', async ({url, available}) => {
    if (!available) return
    const result = await runCli(['system', 'mq-diagnostic', '--queue', url, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ok: true})
    expect(report.steps.map((s: {step: string}) => s.step)).toEqual(['connect', 'subscribe', 'publish', 'consume', 'clean-up'])
    expect(result.stdout).not.toContain(':guest@')
  })

  it('says which step failed, with its code, and exits 4 when no broker answers', async () => {
    const result = await runCli(['system', 'mq-diagnostic', '--queue', 'amqp://guest:s3cret@127.0.0.1:1'])
    expect(result.code).toBe(4)
    expect(result.stdout).toMatch(/✗ connect .*QUEUE_BROKER_UNREACHABLE/)
    expect(result.stdout + result.stderr).not.toContain('s3cret')
  })

  it('leaves nothing behind on Pulsar: the probe queue\'s topic is gone afterwards', async () => {
    if (pulsar.fake === undefined) return
    const before = pulsar.fake.topicNames().length
    const result = await runCli(['system', 'mq-diagnostic', '--queue', pulsar.url, '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(pulsar.fake.topicNames().filter((name) => name.includes('factflow.diagnostic'))).toEqual([])
    expect(pulsar.fake.topicNames().length).toBe(before)
  })

  it('refuses a URL that is not a queue URL with exit 2', async () => {
    const result = await runCli(['system', 'mq-diagnostic', '--queue', 'kafka://host'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/QUEUE_URL_INVALID/)
  })
})
