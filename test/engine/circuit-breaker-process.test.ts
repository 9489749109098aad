import {execFile} from 'node:child_process'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {PROJECT_ROOT} from '../helpers/cli.js'

describe('CircuitBreaker in a process of its own', () => {
  it('keeps the process alive while callers wait for the cool-down, and only then', async () => {
    // A cool-down nobody waits for must not hold the process (the idle breaker's 60 s); one that
    // callers wait for must: before, the process exited with code 13 while they waited.
    const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/engine/circuit-breaker.js')).href
    const script = `
      const {CircuitBreaker} = await import(${JSON.stringify(module)})
      const idle = new CircuitBreaker({failureThreshold: 1, cooldownMs: 60000})
      idle.recordFailure()
      const busy = new CircuitBreaker({failureThreshold: 1, cooldownMs: 200})
      busy.recordFailure()
      await busy.acquire()
      console.log('woke', busy.current)`
    const started = Date.now()
    const {stdout} = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(stdout.trim()).toBe('woke half_open')
    expect(Date.now() - started).toBeLessThan(30_000)
  })
})
