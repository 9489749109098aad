import {execFileSync, spawnSync} from 'node:child_process'

/** tmux is installed (the pseudo-terminal tests need it; `.ci/run` installs it). */
export const HAS_TMUX = spawnSync('tmux', ['-V'], {stdio: 'ignore'}).status === 0

export interface TmuxSession {
  /** The screen as text (no colours). */
  capture(): string
  /** tmux key names (`Left`, `Enter`, `q`, …). */
  keys(...keys: string[]): void
  /** Polls the screen until `pattern` shows; rejects with the last screen after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  close(): void
}

/**
 * A command in a real pseudo terminal: a tmux server of the test's own (its own socket, so neither
 * another user's server nor its environment is involved), `width`×`height`. The command runs with
 * `env` added; after it exits its shell prints `EXIT=<code>` and waits, so the screen stays readable.
 */
export function startTmux(command: string[], options: {cwd: string; env?: Record<string, string>; width?: number; height?: number}): TmuxSession {
  const socket = `factflow-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  // A person at a terminal, not CI: with CI set (even empty) the views fall back to plain lines and
  // Ink draws only its last frame.
  const env = Object.entries({FORCE_COLOR: '0', ...options.env}).map(([k, v]) => `${k}=${quote(v)}`).join(' ')
  const shell = `cd ${quote(options.cwd)} && env -u CI ${env} ${command.map(quote).join(' ')}; echo EXIT=$?; sleep 600`
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', String(options.width ?? 160), '-y', String(options.height ?? 45), shell)
  const capture = () => tmux('capture-pane', '-p', '-t', 'test')
  return {
    capture,
    keys: (...keys) => { tmux('send-keys', '-t', 'test', ...keys) },
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      let screen = ''
      while (Date.now() < deadline) {
        screen = capture()
        if (pattern.test(screen)) return screen
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
      throw new Error(`the screen never showed ${pattern}:\n${screen}`)
    },
    close() {
      try { tmux('kill-server') } catch { /* already gone */ }
    },
  }
}
