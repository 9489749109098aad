/**
 * Serialises tasks per key within one process: a task starts after every earlier task for the
 * same key has settled. Both stores run puts through it so an object and its metadata always come
 * from the same put, also on S3-compatible servers whose writes are not atomic (s3rver).
 */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const current = previous.then(task, task)
    const settled = current.catch(() => {})
    this.tails.set(key, settled)
    try {
      return await current
    } finally {
      if (this.tails.get(key) === settled) this.tails.delete(key)
    }
  }
}
