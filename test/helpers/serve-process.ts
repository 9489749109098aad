import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'

import {BIN} from './cli.js'

export interface Served {
  child: ChildProcess
  url: string
  stderr: () => string
  exited: Promise<number | null>
}

/** Where a container engine runs, tests keep to PGlite (--no-containers): they test the server, not image pulls. */
export const CONTAINER_ENGINE = process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock')

/**
 * `factflow serve --embedded --port 0` (the built binary) in `cwd`, resolved once it prints where it
 * listens. Its files root is `cwd` (`FACTFLOW_FILES_ROOT`) unless `env` says otherwise.
 */
export function startServe(cwd: string, env: Record<string, string> = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--embedded', '--port', '0', ...(CONTAINER_ENGINE ? ['--no-containers'] : [])], {
      cwd, env: {...process.env, FORCE_COLOR: '0', FACTFLOW_FILES_ROOT: cwd, ...env}, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stdout!.resume()
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start:\n${stderr}`)) }, 150_000)
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
      const match = /listening on (http:\/\/[^ ]+)/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve({child, url: match[1]!, stderr: () => stderr, exited})
      }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}:\n${stderr}`)) })
  })
}
