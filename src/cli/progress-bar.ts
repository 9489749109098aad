/**
 * A one-line progress bar on a terminal stream (stderr): redrawn in place at most every 100 ms,
 * cleared by `done()`. On a stream that is not a TTY it draws nothing (pipes and CI logs stay clean).
 */
export interface ProgressBar {
  update(done: number, total: number, detail: string): void
  done(): void
}

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr, width = 24): ProgressBar {
  if (!stream.isTTY || process.env.CI === 'true') return {update() {}, done() {}}
  let drawnAt = 0
  let last = ''
  const draw = (line: string) => {
    stream.write(`\r${line}\u001B[K`)
    last = line
  }
  return {
    update(done, total, detail) {
      const now = Date.now()
      if (now - drawnAt < 100 && done < total) return
      drawnAt = now
      const filled = total === 0 ? width : Math.round((done / total) * width)
      draw(`[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} ${detail}`)
    },
    done() {
      if (last !== '') stream.write('\r\u001B[K')
    },
  }
}
