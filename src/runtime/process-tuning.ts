import v8 from 'node:v8'

/** How far the JavaScript heap may grow past its live size before a full collection (percent). */
export const PIPELINE_HEAP_GROWING_PERCENT = 30

/**
 * Process settings for running pipelines (`factflow run`, the server): the heap grows to 1.3× its
 * live size between full collections instead of V8's default of up to 4×. HTML conversion leaves
 * tens of MB of short-lived DOM per large page; with the default the heap swelled to ~400 MB for a
 * live set near 100 MB. Measured on a 300-page crawl into the embedded database: peak RSS 530–570
 * → 410–440 MB with 50%, 4–8% slower; over 1,000 pages (engine, same run) 499 MB with 50%, 470
 * with 30%, 467 with 20%, pages/s within noise. A growth factor, not a cap: a huge page still gets
 * the memory it needs (a `--max-old-space-size` cap would crash on one). Process-wide and idempotent;
 * answers the flag set.
 */
export function tuneProcessForPipelines(): string {
  const flag = `--heap-growing-percent=${PIPELINE_HEAP_GROWING_PERCENT}`
  v8.setFlagsFromString(flag)
  return flag
}

/**
 * For an inline run (`factflow run`), on top of `tuneProcessForPipelines`: WebAssembly, i.e. the
 * embedded PGlite database, stays on V8's baseline compiler (Liftoff) instead of tiering hot
 * functions up to TurboFan in the background. A run is a fresh process that pays that tier-up
 * every time: over 1,000 crawled pages it cost ≈ 1.5 CPU-s of V8's helper threads and 40–80 MB of
 * resident memory, for PGlite code ≈ 20 % faster afterwards. The server keeps tiering: it lives
 * long and its searches are WebAssembly-bound (an exact vector scan 1.5× slower on Liftoff).
 * Measurements: docs/decisions.md, "inline runs keep PGlite on V8's baseline compiler".
 * `FACTFLOW_WASM_TIER_UP=1` keeps tiering for a very long run. Process-wide and idempotent; set
 * before the database's worker compiles PGlite. Answers the flags set (the run logs them at debug).
 */
export function tuneProcessForInlineRun(env: NodeJS.ProcessEnv = process.env): {v8_flags: string[]} {
  const flags = [tuneProcessForPipelines()]
  if (env.FACTFLOW_WASM_TIER_UP !== '1') {
    v8.setFlagsFromString('--liftoff-only')
    flags.push('--liftoff-only')
  }
  return {v8_flags: flags}
}
