import {existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * Whether anything on this machine could point testcontainers at a container runtime: an env
 * variable it reads (DOCKER_HOST, DOCKER_CONTEXT, TESTCONTAINERS_*), its properties file, a Docker
 * CLI config (contexts), or a Docker / Podman / Colima / Rancher socket where their installers put
 * one. False means testcontainers' own probe would find nothing, so `serve --embedded` can skip
 * importing it (0.3–1 s of start-up). A true answer only means "ask testcontainers".
 */
export function mayHaveContainerRuntime(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): boolean {
  if (env.DOCKER_HOST || env.DOCKER_CONTEXT || Object.keys(env).some((name) => name.startsWith('TESTCONTAINERS_'))) return true
  const runtimeDir = env.XDG_RUNTIME_DIR
  const candidates = [
    path.join(home, '.testcontainers.properties'),
    path.join(home, '.docker', 'config.json'),
    '/var/run/docker.sock',
    '/run/docker.sock',
    '/run/podman/podman.sock',
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    path.join(home, '.colima', 'default', 'docker.sock'),
    path.join(home, '.rd', 'docker.sock'),
    ...(runtimeDir ? [path.join(runtimeDir, 'docker.sock'), path.join(runtimeDir, 'podman', 'podman.sock')] : []),
  ]
  return candidates.some((candidate) => existsSync(candidate))
}
