// Serves the first N pages of the manual (bench/lib/manual-site.js, as ingest.peer_ratio serves
// them) until killed, and prints the sitemap's URL. For runs measured outside bench/, e.g. the
// instruction counts of docs/decisions.md ("issue 16: counting instructions instead of seconds"):
//
//   node bench/tools/serve-manual.js 1000 > /tmp/url &
//   MAX_URLS=200 valgrind --tool=cachegrind --cache-sim=no --smc-check=all-non-file \
//     node bin/run.js run config/pipelines/sitemap-to-embeddings.yaml --set sitemap_url=$(cat /tmp/url) \
//     --database /tmp/w/db --storage file:///tmp/w/storage --no-tui
import {startManualSite} from '../lib/manual-site.js'

const site = await startManualSite({pages: Number(process.argv[2] ?? 1000)})
process.stdout.write(`${site.sitemapUrl}\n`)
