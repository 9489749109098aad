// One measured ingest, run as its own process by bench/ingest.js so its peak RSS is its own:
//   node bench/lib/ingest-child.js engine|loop|init SITEMAP_URL PAGES DB_DIR WORK_DIR
// engine: the shipped sitemap-to-embeddings pipeline through startRun (what `factflow run` does).
// loop:   the same libraries in a plain loop, no engine: fetch, html → markdown, segmenter, local
//         embedder, EmbeddingStore.upsert, a few pages in flight so fetches overlap the CPU work.
// init:   opens (creating it) and migrates a new database, nothing else; warms the template cache.
// Prints one JSON line: { pages, segments, seconds, max_rss_mb }.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const dist = new URL('../../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)
const PIPELINE = fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const [mode, sitemapUrl, pagesArg, dbDir, workDir] = process.argv.slice(2)
const pages = Number(pagesArg)

async function engine() {
  const [{startRun}, {builtinAdapterRegistry}, {silentLogger}] = await Promise.all([
    load('runtime/run-pipeline.js'), load('adapters/registry.js'), load('logging/logger.js'),
  ])
  const handle = await startRun({
    pipelinePath: PIPELINE, env: {SITEMAP_URL: sitemapUrl, MAX_URLS: String(pages)},
    databaseUrl: dbDir, storageUri: `file://${path.join(workDir, 'storage')}`,
  }, {logger: silentLogger, registry: builtinAdapterRegistry()})
  const summary = await handle.summary
  if (summary.status !== 'completed') throw new Error(`run ${summary.status}: ${summary.error ?? JSON.stringify(summary.failures)}`)
  return {pages: summary.routes.markdown.completed, segments: summary.routes.embed.embedded}
}

async function loop() {
  const [{extractContent}, {createMarkdownConverter}, {segmentMarkdown}, {loadTokenCounter}, {createLocalEmbedder},
    {EmbeddingStore}, {embeddingId}, {openDatabase}, {migrate}] = await Promise.all([
    load('adapters/markdown/html/extract-content.js'), load('adapters/markdown/html/markdown-converter.js'),
    load('adapters/markdown/segmenting/segment-markdown.js'), load('adapters/markdown/segmenting/token-counter.js'),
    load('embeddings/local-embedder.js'), load('embeddings/embedding-store.js'), load('embeddings/embedding-id.js'),
    load('db/open-database.js'), load('db/migrate.js'),
  ])
  const db = await openDatabase(dbDir)
  await migrate(db)
  const embedder = createLocalEmbedder()
  const store = await EmbeddingStore.open(db, embedder.model, embedder.model, embedder.dimensions)
  const convert = createMarkdownConverter({preserveLinks: true, preserveImages: false})
  const counter = await loadTokenCounter('cl100k_base')
  const sitemap = await (await fetch(sitemapUrl)).text()
  const urls = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((match) => match[1]).slice(0, pages)
  let next = 0
  let segments = 0
  // The pipeline's crawl route fetches 4 pages at a time; the loop does the same.
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++]
      const html = await (await fetch(url)).text()
      const extracted = extractContent(html, {mainContent: true, baseUrl: url})
      const parts = segmentMarkdown(convert(extracted.html, extracted.baseUrl), {maxTokens: 512, minTokens: 64, overlapTokens: 32}, counter)
      const context = `${extracted.title ?? ''}\n`
      const vectors = await embedder.embed(parts.map((part) => `${context}${part.heading_path.join(' / ')}\n${part.text}`))
      await store.upsert(parts.map((part, i) => ({
        id: embeddingId(store.slot, url, part.index), documentId: url, segmentIndex: part.index, source: url,
        contentHash: String(i), documentContentHash: undefined, text: part.text, headingPath: part.heading_path,
        metadata: {url}, vector: vectors[i],
      })))
      segments += parts.length
    }
  }
  await Promise.all(Array.from({length: 4}, worker))
  await db.close()
  return {pages: urls.length, segments}
}

async function init() {
  const [{openDatabase}, {migrate}] = await Promise.all([load('db/open-database.js'), load('db/migrate.js')])
  const db = await openDatabase(dbDir)
  await migrate(db)
  await db.close()
  return {pages: 0, segments: 0}
}

// Both measured children run with the process settings `factflow run` applies, so the figures are
// what a user gets and the loop differs from the engine only by the engine.
const {tuneProcessForPipelines} = await load('runtime/process-tuning.js')
tuneProcessForPipelines()
const started = performance.now()
const result = await {engine, loop, init}[mode]()
const seconds = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({...result, seconds, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)})}\n`)
