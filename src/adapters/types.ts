import type {z} from 'zod'

import type {CpuPool} from '../cpu/cpu-task.js'
import type {Database} from '../db/types.js'
import type {Embedders} from '../embeddings/embedders.js'
import type {Envelope} from '../engine/envelope.js'
import type {FinishedWork} from '../engine/finished-work.js'
import type {LlmClients} from '../llm/create-chat-client.js'
import type {Logger} from '../logging/logger.js'
import type {ObjectStore} from '../storage/types.js'
import type {FileAccess} from './files/file-root.js'
import type {Fetchers} from './web/fetchers.js'

/** What an adapter hands on: a payload and optional metadata to merge into the message's. */
export interface AdapterOutput {
  payload: Record<string, unknown>
  metadata?: Record<string, unknown>
}

/**
 * `undefined`/`null` ends the chain for this message, one output continues it, a list fans out
 * (each element continues down the chain independently, and is published as soon as it comes out
 * of the chain). An async iterable fans out as it is produced (a crawl): each output starts down
 * the chain while the adapter produces the next, and the engine stops pulling while its route is
 * busy; one that yields exactly one output behaves like a single output, as a list of one does.
 */
export type AdapterResult = AdapterOutput | AdapterOutput[] | AsyncIterable<AdapterOutput> | null | undefined | void

/** Everything an adapter may use while processing one message. */
export interface AdapterContext {
  readonly message: Envelope
  readonly payload: Readonly<Record<string, unknown>>
  readonly metadata: Readonly<Record<string, unknown>>
  readonly executionId: string
  readonly routeId: string
  readonly stage: string
  readonly storage: ObjectStore
  readonly logger: Logger
  /** Aborted when the execution is cancelled; adapters stop work and throw. */
  readonly signal: AbortSignal
  /** Storage key for an artefact of this message: `executions/<exec>/<route>/<stage>/<message_id><ext>`. */
  storageKey(extension?: string): string
  /**
   * Say that this invocation reused earlier work: its lineage row gets status `skipped` with this
   * reason, and with `unchanged` the message counts once in its route's `unchanged` counter.
   */
  markSkipped(reason: 'unchanged' | (string & {})): void
  /** Add to a per-route counter of the run summary. */
  count(counter: 'embedded', n: number): void
}

/** What adapters get from the composition root: the runtime's shared parts and the execution's own state. */
export interface AdapterResources {
  readonly storage: ObjectStore
  readonly logger: Logger
  /** The runtime's LLM profiles and clients: one client (and limiter) per profile for every execution. */
  readonly llm: LlmClients
  /** Embedders by profile, shared by every execution of the runtime (one limiter per profile). */
  readonly embedders: Embedders
  /** Per-host rate limits, the policy-checked HTTP client and the headless browser, shared by every execution of the runtime. */
  readonly fetchers: Fetchers
  /** The folder file adapters may read (`files.root`); see `resolveUnderRoot`. */
  readonly files: FileAccess
  /**
   * Where CPU-heavy pure work runs (worker threads, or this thread with `FACTFLOW_CPU_WORKERS=0`):
   * an adapter hands it a `CpuTask` (a pure exported function) and awaits the result; errors keep
   * their class and code, and the run stops when the execution is cancelled.
   */
  readonly cpu: CpuPool
  /** Values shared by all adapter instances of one execution (e.g. url de-duplication sets). */
  readonly executionState: Map<string, unknown>
  /**
   * The database (embeddings, search tables). Inline runs open it in the background, so this
   * resolves when it is ready; it rejects with `DATABASE_UNAVAILABLE` when the run has none.
   */
  database(): Promise<Database>
  /**
   * True when the database was created for this execution (nothing was stored before it started):
   * stores of earlier work (stage results, page records) answer "not stored" at once rather than
   * wait for the database to open, and write what they keep once it is open.
   */
  readonly newDatabase: boolean
  /**
   * Whether an earlier run finished the work of a page found unchanged (`FinishedWork`): web_scraper
   * and web_content_storage end such a page's chain. Absent (harness runs): they never do.
   */
  readonly finishedWork?: FinishedWork
}

export interface Adapter {
  process(context: AdapterContext): Promise<AdapterResult>
  close?(): Promise<void>
}

export interface AdapterModule<C> {
  createAdapter(config: C, resources: AdapterResources): Adapter | Promise<Adapter>
}

export type AdapterFamily = 'web' | 'files' | 'markdown' | 'llm' | 'testing'

/**
 * An adapter declaration: what the registry, validator, JSON Schema, `adapters show` and the engine
 * know about an adapter type. `load` imports the implementation lazily so that commands which only
 * validate never load adapter code; it is absent while an adapter is declared but not implemented.
 */
export interface AdapterDefinition<S extends z.ZodType = z.ZodType> {
  type: string
  family: AdapterFamily
  summary: string
  /** Strict zod object with defaults; parsed once at validation, its output is what the factory gets. */
  configSchema: S
  /** Config fields that name an LLM or embedding provider profile (checked as E304). */
  profileFields?: readonly string[]
  /** What the adapter reads and emits, one line (shown by `adapters show`). */
  io?: string
  example?: Record<string, unknown>
  load?: () => Promise<AdapterModule<z.output<S>>>
}

export function defineAdapter<S extends z.ZodType>(definition: AdapterDefinition<S>): AdapterDefinition<S> {
  return definition
}
