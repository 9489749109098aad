// Opt-in (`BENCH_SCALE_PAGES=10000 npm run bench`, or `npm run bench -- --only scale`): one
// `factflow run` of config/pipelines/sitemap-to-embeddings.yaml over BENCH_SCALE_PAGES (default
// 10,000) pages, more than the manual has: bench/lib/manual-site.js serves the PostgreSQL 15
// manual's ~1,170 pages, then copies of them under /c<k>/ with a marker sentence each, so every
// page is new content. Same process measurement as bench/peer.js (whole process, new database).
//
//   ingest.scale.pages_per_s   pages over the wall time of the whole process.
//   ingest.scale.peak_rss_mb   the process's VmHWM at exit; the note gives its resident set sampled
//                              every 500 ms at 10/25/50/75/90% of the run and whether memory stayed
//                              flat: RSS at 90% of the run within 10% of RSS at 50% (the first half
//                              holds the start-up, the database's buffers and the heap's growth),
//                              and when the highest sample was taken.
import os from 'node:os'
import {pathToFileURL} from 'node:url'

import {missingManuals} from './lib/corpus-site.js'
import {removeWorkDirs, runFactflow, settleFileSystem, warmFactflow} from './lib/factflow-process.js'
import {rssAtFractions} from './lib/measure-process.js'
import {startManualSite} from './lib/manual-site.js'

const PAGES = Number(process.env.BENCH_SCALE_PAGES || 10_000)
const FLAT_GROWTH = 0.1

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')

export async function run() {
  if ((await missingManuals(['postgresql'])).length > 0) {
    return [{name: 'ingest.scale.skipped', value: null, unit: '', note: 'missing manual (apt-get install postgresql-doc-15)'}]
  }
  const site = await startManualSite({pages: PAGES})
  try {
    await warmFactflow(site)
    await settleFileSystem()
    const loadBefore = load()
    process.stderr.write(`bench: scale: ${PAGES} pages (load ${loadBefore})\n`)
    const f = await runFactflow(site, PAGES, {sampleMs: 500})
    const curve = rssAtFractions(f.samples, f.seconds)
    const growth = curve['90%'] / curve['50%'] - 1
    const flat = growth <= FLAT_GROWTH
    const top = f.samples.reduce((best, sample) => (sample.rss_mb > (best?.rss_mb ?? -1) ? sample : best), undefined)
    const copies = Math.max(...site.pages.map((page) => page.copy)) + 1
    return [
      {
        name: 'ingest.scale.pages_per_s', value: round(f.pages_per_s), unit: 'pages/s',
        note: `${PAGES} pages (the PostgreSQL 15 manual's pages${copies > 1 ? `, then ${copies - 1} marked cop${copies > 2 ? 'ies' : 'y'} of them` : ''}), ${round(f.seconds, 1)} s for the whole process, ` +
          `${f.segments} segments, ${f.lineage_rows} lineage rows, new database; load average ${loadBefore} before, ${load()} after`,
      },
      {
        name: 'ingest.scale.peak_rss_mb', value: f.peak_self_mb, unit: 'MB',
        note: `memory ${flat ? 'flat' : 'not flat'}: RSS ${Object.entries(curve).map(([at, mb]) => `${mb} MB at ${at}`).join(', ')} of the run ` +
          `(${growth >= 0 ? '+' : ''}${round(growth * 100, 1)}% from 50% to 90%; flat means ≤ ${FLAT_GROWTH * 100}%); ` +
          `highest sample ${top?.rss_mb} MB at ${round(top?.t ?? 0, 1)} s (${round(100 * (top?.t ?? 0) / f.seconds, 1)}% of the run); ${f.samples.length} samples; with the database creator child (/usr/bin/time %M) ${f.peak_tree_mb} MB`,
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
