// Runs every benchmark and prints its figures: `npm run bench` (a table) or `npm run bench -- --json`
// (one JSON document { figures: [ { name, value, unit, baseline, baseline_value, ratio } ] }).
// `--only engine,queue` picks benchmarks by file name (`--only peer`: factflow against the
// LlamaIndex.TS peer; `--only client`: the thin client's start-up; `--only watch-lag`: the live view's lag behind the server's events). `scale` (a 10,000-page run) is opt-in: `--only scale`, or BENCH_SCALE_PAGES set;
// so is `lineage-queries` (the lineage API's chain and stats at a million rows): `--only lineage-queries`.
const args = process.argv.slice(2)
const json = args.includes('--json')
const onlyIndex = args.indexOf('--only')
const only = onlyIndex >= 0 ? args[onlyIndex + 1].split(',') : undefined
const all = ['validate', 'queue', 'brokers', 'lineage', 'pglite-durability', 'engine', 'fetch', 'segment', 'convert', 'vector-writes', 'ingest', 'peer', 'vector-search', 'server', 'web', 'client', 'watch-lag', 'chat', 'scale', 'lineage-queries']
const optIn = [...(process.env.BENCH_SCALE_PAGES ? [] : ['scale']), 'lineage-queries']
const figures = []
for (const name of all.filter((n) => (only ? only.includes(n) : !optIn.includes(n)))) {
  process.stderr.write(`bench: ${name}…\n`)
  try {
    const mod = await import(`./${name}.js`)
    figures.push(...await mod.run())
  } catch (error) {
    figures.push({name: `${name}.error`, value: null, unit: '', note: String(error?.stack ?? error)})
  }
}
if (json) {
  console.log(JSON.stringify({figures}, null, 2))
} else {
  for (const f of figures) {
    const ratio = f.ratio === undefined ? '' : `  ratio ${f.ratio} vs ${f.baseline} (${f.baseline_value})`
    console.log(`${f.name.padEnd(36)} ${String(f.value).padStart(10)} ${f.unit}${ratio}${f.note ? `  — ${f.note}` : ''}`)
  }
}
