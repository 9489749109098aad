import type {AdapterContext} from '../adapters/types.js'
import type {Logger} from '../logging/logger.js'
import type {ObjectStore} from '../storage/types.js'
import type {Envelope} from './envelope.js'
import type {RouteCounters} from './events.js'
import type {ChainItem, ChainReport} from './chain-item.js'

/** What one adapter invocation may touch of its execution. */
export interface StageScope {
  readonly executionId: string
  readonly storage: ObjectStore
  readonly signal: AbortSignal
}

/** The context one adapter invocation sees; a class so the hot path allocates no closures. */
export class StageContext implements AdapterContext {
  skippedReason: string | undefined
  readonly payload: Record<string, unknown>
  readonly metadata: Record<string, unknown>
  readonly executionId: string
  readonly storage: ObjectStore
  readonly signal: AbortSignal

  constructor(
    readonly message: Envelope, private readonly item: ChainItem, scope: StageScope,
    readonly routeId: string, readonly stage: string, readonly logger: Logger, private readonly counters: RouteCounters,
    private readonly report: ChainReport,
  ) {
    this.payload = item.payload
    this.metadata = item.metadata
    this.executionId = scope.executionId
    this.storage = scope.storage
    this.signal = scope.signal
  }

  storageKey(extension = ''): string {
    return `executions/${this.executionId}/${this.routeId}/${this.stage}/${this.item.messageId}${extension}`
  }

  markSkipped(reason: string): void {
    this.skippedReason = reason
    if (reason === 'unchanged') this.report.unchanged = true
  }

  count(counter: 'embedded', n: number): void {
    this.counters[counter] += n
  }
}
