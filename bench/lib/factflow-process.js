// One `factflow run` of the shipped sitemap-to-embeddings pipeline as a user runs it: the built
// binary (`node bin/run.js run … --no-tui --json`) in a process of its own, into a new database
// directory and new storage (a new user's first run), measured from spawn to exit.
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {measureNodeProcess} from './measure-process.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const PIPELINE = fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))

/**
 * Work directories of the runs so far, removed by `removeWorkDirs()` once the measured runs are
 * over, not after each run: on a file system without a journal (this machine's ext4) creating a
 * file skips every inode freed in the last ~30 s (ext4's `recently_deleted`), so deleting one run's
 * ~6,000 files made the next run's file creations up to 20× slower (docs/decisions.md).
 */
const workDirs = []

export async function removeWorkDirs() {
  for (const dir of workDirs.splice(0)) await rm(dir, {recursive: true, force: true})
}

/**
 * Waits out ext4's "recently deleted" window (30 s, 35 with dirty buffers) before a measured run,
 * so files deleted just before by someone else (the peer's run.sh removes its copy of the manual
 * as it exits, an earlier benchmark of `bench/run.js`, a test run) do not slow this run's file
 * creations. BENCH_SETTLE_S (default 35; 0 turns it off).
 */
export async function settleFileSystem() {
  const seconds = Number(process.env.BENCH_SETTLE_S ?? 35)
  if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
}

const tail = (text, lines = 8) => text.trim().split('\n').slice(-lines).join('\n')

/**
 * Crawls the first `pages` URLs of `site`'s sitemap (a manual-site.js site) with factflow. Throws
 * unless the run exits 0 and fetched every one of those pages exactly as served. Resolves to
 * `{pages, seconds, pages_per_s, peak_self_mb, peak_tree_mb, segments, lineage_rows, samples}`.
 */
export async function runFactflow(site, pages, {sampleMs = 0} = {}) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-run-'))
  workDirs.push(work)
  site.resetStats()
  const result = await measureNodeProcess(BIN, [
    'run', PIPELINE, '--set', `sitemap_url=${site.sitemapUrl}`,
    '--database', path.join(work, 'db'), '--storage', `file://${path.join(work, 'storage')}`,
    '--no-tui', '--json',
  ], {cwd: work, env: {MAX_URLS: String(pages)}, sampleMs})
  if (result.code !== 0) throw new Error(`factflow run exited ${result.code}: ${tail(result.stderr || result.stdout)}`)
  const summary = JSON.parse(result.stdout)
  const answered = site.stats().pagesAnswered
  if (answered !== pages) throw new Error(`factflow fetched ${answered} of the ${pages} pages (summary status ${summary.status})`)
  const segments = Object.values(summary.routes).reduce((sum, route) => sum + (route.embedded ?? 0), 0)
  return {
    pages, seconds: result.seconds, pages_per_s: pages / result.seconds,
    peak_self_mb: result.peak_self_mb, peak_tree_mb: result.peak_tree_mb,
    segments, lineage_rows: summary.database?.lineage_rows ?? null, samples: result.samples,
  }
}

/**
 * An unmeasured run over a few pages: makes the PGlite template cache warm (the first new database
 * on a machine pays initdb once, in its creator process) and loads the binary's files into the
 * page cache, so the measured runs are a new user's first run on a machine already set up.
 */
export async function warmFactflow(site) {
  await runFactflow(site, Math.min(5, site.pages.length))
}
