// factflow against the tool a user would pick instead (issue 16): the LlamaIndex.TS peer
// (../shared/peers/llamaindex) and `factflow run` over the same served pages, in the same run.
// Needs `npm run build` and the package postgresql-doc-15.
//
//   ingest.peer_ratio        pages/s of the whole `factflow run` process (spawn to exit, opening the
//                            new database included) of config/pipelines/sitemap-to-embeddings.yaml
//                            over the first BENCH_PEER_PAGES (default 1,000) pages, in name order, of
//                            Debian's PostgreSQL 15 manual, served on 127.0.0.1 by
//                            bench/lib/manual-site.js as the peer's run.sh serves them (same files,
//                            same order, same headers). Baseline: the peer's `pages_per_s.total`
//                            (`run.sh N --html nodeparser`, wall time from its process start). Each
//                            factflow run writes a new database directory and new storage; one
//                            unmeasured run of each tool first (template cache, the peer's install,
//                            page cache). factflow and peer runs alternate; medians of
//                            BENCH_PEER_RUNS (else BENCH_RUNS, default 1). Target at 1,000: ≥ 2.0.
//   ingest.peer_peak_rss_mb  the factflow process's own peak RSS (VmHWM at exit, the counter the
//                            peer reports as peak_rss_mb.vmhwm). Baseline: the peer's. Target ≤ 1.0.
//                            The note also gives /usr/bin/time's %M, which includes the short-lived
//                            child that creates the new database.
import os from 'node:os'
import {pathToFileURL} from 'node:url'

import {missingManuals} from './lib/corpus-site.js'
import {removeWorkDirs, runFactflow, settleFileSystem, warmFactflow} from './lib/factflow-process.js'
import {PEER_DIR, peerAvailable, runPeer} from './lib/llamaindex-peer.js'
import {startManualSite} from './lib/manual-site.js'

const PAGES = Number(process.env.BENCH_PEER_PAGES ?? 1000)
const RUNS = Number(process.env.BENCH_PEER_RUNS ?? process.env.BENCH_RUNS ?? 1)

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')

export async function run() {
  if ((await missingManuals(['postgresql'])).length > 0) {
    return [{name: 'ingest.peer_ratio.skipped', value: null, unit: '', note: 'missing manual (apt-get install postgresql-doc-15)'}]
  }
  if (!peerAvailable()) return [{name: 'ingest.peer_ratio.skipped', value: null, unit: '', note: `no peer at ${PEER_DIR} (set BENCH_PEER_DIR)`}]
  const site = await startManualSite({pages: PAGES})
  try {
    if (site.pages.some((page) => page.copy > 0)) throw new Error(`the manual has fewer than ${PAGES} pages; the peer serves no copies`)
    process.stderr.write(`bench: peer: warm-up runs (load ${load()})\n`)
    await warmFactflow(site)
    await runPeer(Math.min(5, PAGES))
    const loadBefore = load()
    const factflow = []
    const peer = []
    for (let r = 0; r < RUNS; r++) {
      // The peer's run.sh deletes its ~1,100-file copy of the manual as it exits.
      await settleFileSystem()
      const f = await runFactflow(site, PAGES)
      factflow.push(f)
      process.stderr.write(`bench: peer: factflow ${round(f.pages_per_s)} pages/s, ${f.peak_self_mb} MB (load ${load()})\n`)
      const p = await runPeer(PAGES)
      if (p.bytes_fetched !== site.bytes) throw new Error(`the peer fetched ${p.bytes_fetched} bytes, factflow's site serves ${site.bytes}: not the same pages`)
      peer.push(p)
      process.stderr.write(`bench: peer: llamaindex ${round(p.pages_per_s)} pages/s, ${p.peak_rss_mb} MB (load ${load()})\n`)
    }
    const rate = median(factflow.map((f) => f.pages_per_s))
    const peerRate = median(peer.map((p) => p.pages_per_s))
    const rss = median(factflow.map((f) => f.peak_self_mb))
    const treeRss = median(factflow.map((f) => f.peak_tree_mb ?? Number.NaN))
    const peerRss = median(peer.map((p) => p.peak_rss_mb))
    const ratio = rate / peerRate
    const rssRatio = rss / peerRss
    const runs = (results, mb) => results.map((r) => `${round(r.pages_per_s)} pages/s (${round(r.seconds, 1)} s, ${mb(r)} MB)`).join(', ')
    const context = `${PAGES} pages of the PostgreSQL 15 manual, same files and order as the peer; work directories removed after the last run, 35 s before each run for ext4 to forget deleted files (BENCH_SETTLE_S); load average ${loadBefore} before, ${load()} after; ${os.cpus().length} cores`
    return [
      {
        name: 'ingest.peer_ratio', value: round(rate), unit: 'pages/s',
        baseline: `LlamaIndex.TS ${peer[0].version} peer (run.sh ${PAGES} --html nodeparser, pages_per_s.total)`,
        baseline_value: round(peerRate), ratio: round(ratio),
        note: `target ≥ 2.0 at 1,000 pages: ${ratio >= 2 ? 'met' : 'missed'}; factflow run (whole process, new database): ${runs(factflow, (r) => r.peak_self_mb)}; ` +
          `${factflow[0].segments} segments, ${factflow[0].lineage_rows} lineage rows; peer: ${runs(peer, (r) => r.peak_rss_mb)}, ${peer[0].segments} segments; ${context}`,
      },
      {
        name: 'ingest.peer_peak_rss_mb', value: rss, unit: 'MB', baseline: 'the peer\'s peak_rss_mb.vmhwm', baseline_value: peerRss, ratio: round(rssRatio),
        note: `target ≤ 1.0: ${rssRatio <= 1 ? 'met' : 'missed'}; the factflow process's VmHWM at exit; with the child that creates its new database (/usr/bin/time %M) ${treeRss} MB`,
      },
    ]
  } finally {
    await site.close()
    await removeWorkDirs()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run()
  process.stdout.write(`${JSON.stringify({figures}, null, 2)}\n`)
}
