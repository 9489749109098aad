import {execFile} from 'node:child_process'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {PROJECT_ROOT} from '../../test/helpers/cli.js'
import {isSettled} from '../../test/helpers/settled.js'

import {WaitGate} from './wait-gate.js'


describe('WaitGate', () => {
  it('holds callers until release, all together', async () => {
    const gate = new WaitGate(10_000)
    const a = gate.wait()
    const b = gate.wait()
    expect(gate.waiting).toBe(2)
    expect(await isSettled(a)).toBe(false)
    gate.release()
    expect(await isSettled(a)).toBe(true)
    expect(await isSettled(b)).toBe(true)
    expect(gate.waiting).toBe(0)
    expect(gate.stalled).toBe(false)
  })

  it('keeps holding while the other party makes progress', async () => {
    const gate = new WaitGate(60)
    const held = gate.wait()
    for (let i = 0; i < 6; i++) {
      await sleep(25)
      gate.progress()
    }
    expect(await isSettled(held)).toBe(false)
    gate.release()
    await held
  })

  it('lets callers go once nothing moved for stallMs, reports it, and is stalled until the next progress', async () => {
    let stalls = 0
    const gate = new WaitGate(50, () => stalls++)
    const started = performance.now()
    await gate.wait()
    expect(performance.now() - started).toBeGreaterThanOrEqual(45)
    expect(stalls).toBe(1)
    expect(gate.stalled).toBe(true)
    gate.progress()
    expect(gate.stalled).toBe(false)
  })

  it('keeps the process alive while callers wait, so they are let go rather than abandoned', async () => {
    const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/engine/wait-gate.js')).href
    const script = `
      const {WaitGate} = await import(${JSON.stringify(module)})
      const gate = new WaitGate(150)
      await gate.wait()
      console.log('let go', gate.stalled)`
    const {stdout} = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(stdout.trim()).toBe('let go true')
  })
})
