import {readFileSync} from 'node:fs'

/**
 * A process named so that a reused pid does not pass for it: `<pid>` plus, on Linux, its start
 * time in clock ticks since boot (`/proc/<pid>/stat`, field 22). Pids are recycled (in a container
 * every first process is pid 1), start times of one boot are not.
 */
export interface ProcessIdentity {
  pid: number
  /** Undefined where /proc is absent: then only the pid is compared. */
  startTime?: string
}

/** The start time of `pid`, or undefined when it is not running or the platform has no /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid)
  return startTime === undefined ? {pid: process.pid} : {pid: process.pid, startTime}
}

/** `<pid>` or `<pid>@<start>`: how identities are written into lock files and file names. */
export function formatProcessIdentity(identity: ProcessIdentity): string {
  return identity.startTime === undefined ? String(identity.pid) : `${identity.pid}@${identity.startTime}`
}

export function parseProcessIdentity(text: string): ProcessIdentity | undefined {
  const match = /^(\d+)(?:@(\d+))?$/.exec(text.trim())
  if (!match) return undefined
  const pid = Number(match[1])
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  return match[2] === undefined ? {pid} : {pid, startTime: match[2]}
}

/**
 * True when the process that wrote `identity` still runs: its pid answers and, when a start time
 * was recorded and /proc can tell, that pid started at that time. A pid that is now another
 * process (same number, other start time) is not alive.
 */
export function isProcessAlive(identity: ProcessIdentity): boolean {
  try {
    process.kill(identity.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (identity.startTime === undefined) return true
  const now = processStartTime(identity.pid)
  return now === undefined || now === identity.startTime
}
