import type {ResourceLimits} from 'node:worker_threads'

/**
 * Heap limits for factflow's own worker threads (the CPU pool, the embedded database's worker).
 * V8 lets each isolate's young generation grow to 32 MB of new space; these threads keep little
 * short-lived JavaScript (the pool's large strings go to large-object space, PGlite's data lives in
 * its WebAssembly memory), so 4 MB of new space (`maxYoungGenerationSizeMb: 6`) serves them as well.
 * Measured on a 1,000-page `factflow run`: peak RSS 339–344 → 292–295 MB, CPU no higher
 * (docs/decisions.md, "worker threads with a small young generation"). The main thread keeps V8's
 * default: its size is fixed at process start, before any factflow code runs.
 */
export const WORKER_RESOURCE_LIMITS: ResourceLimits = {maxYoungGenerationSizeMb: 6}
