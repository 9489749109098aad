export interface MicroBatcherOptions<I, O> {
  /** Most items per batch. */
  maxSize: number
  /**
   * How long the first item of a batch waits for company when no batch is running (default 0:
   * until the event loop has handled what is already queued). Keep it small: a caller that awaits
   * each item before submitting the next (route concurrency 1) pays it on every item.
   */
  lingerMs?: number
  /** Handles one batch; resolves with one result per item, in order. A rejection fails every item of the batch. */
  run(items: I[]): Promise<O[]>
}

interface Waiting<I, O> { item: I; resolve(value: O): void; reject(error: unknown): void }

/**
 * Collects items submitted one at a time into batches for `run`. At most one batch runs at a time;
 * what arrives meanwhile waits and forms the next batch (up to `maxSize`), so batches grow with load
 * and a lone item is not delayed beyond `lingerMs`. Serial batches also mean two batches never write
 * the same rows concurrently.
 */
export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = []
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined

  constructor(private readonly options: MicroBatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({item, resolve, reject})
      this.schedule()
    })
  }

  /** Resolves when every item submitted so far has been handled. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running !== undefined) {
      if (this.running === undefined) this.start()
      await this.running
    }
  }

  private schedule(): void {
    if (this.running !== undefined) return
    if (this.queue.length >= this.options.maxSize) {
      this.start()
      return
    }
    if (this.timer !== undefined) return
    const linger = this.options.lingerMs ?? 0
    this.timer = linger > 0 ? setTimeout(() => this.start(), linger) : setImmediate(() => this.start())
  }

  private start(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
      this.timer = undefined
    }
    if (this.running !== undefined || this.queue.length === 0) return
    const batch = this.queue.splice(0, this.options.maxSize)
    this.running = this.runBatch(batch).finally(() => {
      this.running = undefined
      if (this.queue.length > 0) this.start()
    })
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.options.run(batch.map((waiting) => waiting.item))
      batch.forEach((waiting, i) => waiting.resolve(results[i] as O))
    } catch (error) {
      for (const waiting of batch) waiting.reject(error)
    }
  }
}
