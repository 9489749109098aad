import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {mayHaveContainerRuntime} from '../../server/container-runtime-hint.js'
import {provisionEmbedded} from '../../server/embedded-infrastructure.js'

/**
 * `serve --embedded` without a container engine: testcontainers' probe fails fast and the server
 * says so in one line, then runs on PGlite, the in-process broker and ./output/storage. (Starting
 * containers needs a Docker engine, which these machines do not have.)
 */
describe('embedded infrastructure', () => {
  it('falls back to the in-process parts in one line when no container runtime answers, and fast', async () => {
    const saved = process.env.DOCKER_HOST
    // An address where nothing listens: the probe must give up at once, not hang.
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1'
    const lines: string[] = []
    try {
      const started = performance.now()
      const infrastructure = await provisionEmbedded({say: (line) => lines.push(line), containers: true, amqpAvailable: false})
      expect(performance.now() - started).toBeLessThan(10_000)
      expect(infrastructure).toMatchObject({databaseUrl: './output/db', queueUrl: 'memory://', storageUri: 'file://./output/storage'})
      await infrastructure.stop()
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = saved
    }
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^embedded: no container runtime found \(probed in \d+ ms\); using PGlite under \.\/output\/db, the in-process broker and \.\/output\/storage$/)
  })

  it('does not probe with --no-containers', async () => {
    const lines: string[] = []
    const infrastructure = await provisionEmbedded({say: (line) => lines.push(line), containers: false, amqpAvailable: true})
    expect(infrastructure.queueUrl).toBe('memory://')
    expect(lines).toEqual(['embedded: containers not wanted (--no-containers); using PGlite under ./output/db, the in-process broker and ./output/storage'])
  })

  it('skips importing testcontainers when nothing on the machine could point it at a container runtime', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'factflow-home-'))
    try {
      expect(mayHaveContainerRuntime({}, home)).toBe(existsSync('/var/run/docker.sock') || existsSync('/run/docker.sock') || existsSync('/run/podman/podman.sock'))
      expect(mayHaveContainerRuntime({DOCKER_HOST: 'tcp://127.0.0.1:2375'}, home)).toBe(true)
      expect(mayHaveContainerRuntime({TESTCONTAINERS_HOST_OVERRIDE: 'x'}, home)).toBe(true)
      await writeFile(path.join(home, '.testcontainers.properties'), 'docker.host=tcp://127.0.0.1:2375\n')
      expect(mayHaveContainerRuntime({}, home)).toBe(true)
    } finally {
      await rm(home, {recursive: true, force: true})
    }
  })
})
