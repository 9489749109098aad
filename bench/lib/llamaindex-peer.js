// The LlamaIndex.TS peer (../shared/peers/llamaindex, see its README): `run.sh N --html nodeparser`
// serves the manual's first N pages itself, ingests them and prints one JSON document.
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const execFileAsync = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** The peer's folder: BENCH_PEER_DIR, else `../shared/peers/llamaindex` beside the repository. */
export const PEER_DIR = process.env.BENCH_PEER_DIR ?? path.resolve(REPO, '..', 'shared', 'peers', 'llamaindex')

export const peerAvailable = () => existsSync(path.join(PEER_DIR, 'run.sh'))

/**
 * One peer run over `pages` pages. Resolves to `{pages, seconds, pages_per_s, peak_rss_mb,
 * bytes_fetched, segments, version}`: `pages_per_s.total` (pages over the wall time from its
 * process start, module loading included) and `peak_rss_mb.vmhwm` of its JSON.
 */
export async function runPeer(pages) {
  const {stdout} = await execFileAsync('bash', [path.join(PEER_DIR, 'run.sh'), String(pages), '--html', 'nodeparser'], {
    maxBuffer: 64 << 20, timeout: 3_600_000,
  })
  const out = JSON.parse(stdout)
  if (out.pages_fetched !== pages || out.fetch_failures?.length) {
    throw new Error(`peer fetched ${out.pages_fetched} of ${pages} pages (${out.fetch_failures?.length ?? 0} failures)`)
  }
  return {
    pages, seconds: out.seconds.total, pages_per_s: out.pages_per_s.total, peak_rss_mb: out.peak_rss_mb.vmhwm,
    bytes_fetched: out.bytes_fetched, segments: out.segments, version: out.versions?.llamaindex,
  }
}
