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
 * How much bytecode a JavaScript function runs between V8's checks of whether to optimise it, for
 * an inline run: ≈ 6× V8's default (67,584), so only functions that stay hot are handed to
 * TurboFan. A run is a fresh process that compiles everything again; over 1,000 crawled pages
 * TurboFan was ≈ 11 % of all CPU samples, much of it on functions that were warm for a moment.
 * Alternating runs (docs/decisions.md, 2026-12-07): 6.64–6.75 s and 10.0–10.2 CPU-s against
 * 6.57–7.84 s and 10.4–12.3 CPU-s; 3,000,000 was slower (too little optimised code).
 */
export const INLINE_RUN_INTERRUPT_BUDGET = 400_000

/**
 * For an inline run (`factflow run`), on top of `tuneProcessForPipelines`: JavaScript is optimised
 * later (`INLINE_RUN_INTERRUPT_BUDGET`), and WebAssembly, i.e. the
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
  const budget = `--interrupt-budget=${INLINE_RUN_INTERRUPT_BUDGET}`
  v8.setFlagsFromString(budget)
  const flags = [tuneProcessForPipelines(), budget]
  if (env.FACTFLOW_WASM_TIER_UP !== '1') {
    v8.setFlagsFromString('--liftoff-only')
    flags.push('--liftoff-only')
  }
  return {v8_flags: flags}
}
