// Chat (issue 20), over the Debian manuals of bench/lib/corpus-site.js ingested with the shipped
// sitemap-to-embeddings pipeline (BENCH_CHAT_PAGES, default 200: the labelled pages of
// test/fixtures/chat/questions.json first, the rest a fixed sample) into an embedded database
// (ingestion not timed):
//   chat.local.answer_ms.p50 / .p95   ask → last event of a whole answer with the offline `local`
//                                      profile, per turn of the labelled conversations (follow-ups made
//                                      standalone, retrieval, extractive answer, both messages stored);
//                                      baseline: one `search.hybrid` of the same question (what a bare
//                                      search costs). Its note gives the labelled set's hit rate.
//   chat.ttft_ms.<openai|anthropic>   ask → first answer token at the consumer, through the real SDK
//                                      against bench/lib/fake-llm-server.js streaming 4 characters every
//                                      20 ms; baseline: ask → the test server's own first byte (so the
//                                      ratio is what the client adds on top of the model). Median of
//                                      BENCH_CHAT_TTFT_RUNS (default 15) questions of the set.
// Needs `npm run build` and the Debian manuals.
//
//   node bench/chat.js            (or npm run bench -- --only chat)
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {missingManuals, startCorpusSite} from './lib/corpus-site.js'
import {startFakeLlmServer, wallClockMs} from './lib/fake-llm-server.js'

const dist = new URL('../dist/src/', import.meta.url)
const load = (p) => import(new URL(p, dist).href)
const PIPELINE = fileURLToPath(new URL('../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))
const QUESTIONS = fileURLToPath(new URL('../test/fixtures/chat/questions.json', import.meta.url))
const PAGES = Number(process.env.BENCH_CHAT_PAGES ?? 200)
const TTFT_RUNS = Number(process.env.BENCH_CHAT_TTFT_RUNS ?? 15)

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

export async function run() {
  if ((await missingManuals()).length > 0) return [{name: 'chat.skipped', value: null, unit: '', note: 'the Debian manuals are not installed'}]
  const [{startRun}, {builtinAdapterRegistry}, {silentLogger}, {openLocalChat}, {createLlmClients}, {resolveProfiles}, {runChatQuality}] = await Promise.all([
    load('runtime/run-pipeline.js'), load('adapters/registry.js'), load('logging/logger.js'), load('chat/local-chat.js'),
    load('llm/create-chat-client.js'), load('llm/settings.js'), load('chat/chat-quality.js'),
  ])
  const threads = JSON.parse(await readFile(QUESTIONS, 'utf8')).threads
  const site = await startCorpusSite({limit: PAGES, include: [...new Set(threads.flat().flatMap((turn) => turn.pages))]})
  const work = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-chat-'))
  const fake = await startFakeLlmServer({streamDelayMs: 20, respond: () => 'Use the command the first passage names [1]; the second passage adds the options [2].'})
  let local
  try {
    const handle = await startRun({
      pipelinePath: PIPELINE, env: {SITEMAP_URL: site.sitemapUrl, MAX_URLS: String(Math.max(PAGES, site.pages.length))},
      databaseUrl: path.join(work, 'db'), storageUri: `file://${path.join(work, 'storage')}`,
    }, {logger: silentLogger, registry: builtinAdapterRegistry()})
    const summary = await handle.summary
    if (summary.status !== 'completed') throw new Error(`ingestion ended ${summary.status}`)
    const profiles = resolveProfiles({llm: {providers: [
      {name: 'openai', provider_type: 'openai_compatible', base_url: fake.openaiBaseUrl, model: 'fake-model'},
      {name: 'anthropic', provider_type: 'anthropic', base_url: fake.url, api_key: 'sk-ant-bench', model: 'fake-claude'},
    ]}}, {})
    local = await openLocalChat({databaseUrl: path.join(work, 'db'), llm: createLlmClients(profiles)})

    // Warm up (first query plans, the stemmer, the keyword terms), then the labelled set.
    await runChatQuality(local.chat, [threads[0]], pageOf)
    const quality = await runChatQuality(local.chat, threads, pageOf)
    const search = local.search
    const slot = (await search.slots())[0].slot
    const searchMs = []
    for (const turn of threads.flat()) {
      const started = performance.now()
      await search.hybrid(turn.q, {slot, limit: 5})
      searchMs.push(performance.now() - started)
    }
    const baseline = percentile(searchMs, 0.5)
    const note = `${quality.total} turns; hit rate ${quality.hitRate.toFixed(3)} (${quality.hits}/${quality.total}); ${PAGES} pages`
    const figures = [
      {name: 'chat.local.answer_ms.p50', value: round(percentile(quality.answerMs, 0.5)), unit: 'ms', baseline: 'search.hybrid p50', baseline_value: round(baseline), ratio: round(percentile(quality.answerMs, 0.5) / baseline, 2), note},
      {name: 'chat.local.answer_ms.p95', value: round(percentile(quality.answerMs, 0.95)), unit: 'ms', baseline: 'search.hybrid p95', baseline_value: round(percentile(searchMs, 0.95)), ratio: round(percentile(quality.answerMs, 0.95) / percentile(searchMs, 0.95), 2)},
    ]

    for (const profile of ['openai', 'anthropic']) {
      const ttft = []
      const firstByte = []
      for (const turn of threads.flat().slice(0, TTFT_RUNS + 1)) {
        fake.reset()
        const started = wallClockMs()
        const answer = await local.chat.askStateless({question: turn.q, settings: {profile}})
        let first
        for await (const event of answer.events()) if (event.type === 'token' && first === undefined) first = wallClockMs()
        const served = fake.requests.at(-1)?.firstByteAt
        if (first === undefined || served === undefined) continue
        ttft.push(first - started)
        firstByte.push(served - started)
      }
      // The first question warmed the SDK up: left out.
      ttft.shift()
      firstByte.shift()
      const value = percentile(ttft, 0.5)
      const server = percentile(firstByte, 0.5)
      figures.push({name: `chat.ttft_ms.${profile}`, value: round(value), unit: 'ms', baseline: 'test server first byte', baseline_value: round(server), ratio: round(value / server, 2),
        note: `median of ${ttft.length}; client adds ${round(value - server)} ms after the server's first byte`})
    }
    return figures
  } finally {
    await local?.close()
    await fake.close()
    await site.close()
    await rm(work, {recursive: true, force: true})
  }
}

const pageOf = (source) => new URL(source.url).pathname.slice(1)

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const figure of await run()) console.log(JSON.stringify(figure))
}
