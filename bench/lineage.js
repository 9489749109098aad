// Lineage writer throughput on PostgreSQL and on PGlite (on disk), each against a raw COPY of the
// same rows through the same connection in the same run. Needs the build (`npm run build`).
//   node bench/lineage.js            prints the figures as JSON
//   FACTFLOW_BENCH_DATABASE_URL=…    PostgreSQL server to use (a scratch database is created and dropped)
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import pg from 'pg'
import {v7 as uuidv7} from 'uuid'
import {migrate} from '../dist/src/db/migrate.js'
import {openDatabase} from '../dist/src/db/open-database.js'
import {createLineageWriter} from '../dist/src/lineage/batched-lineage-writer.js'
import {COPY_BINARY_HEADER, COPY_BINARY_TRAILER} from '../dist/src/db/binary-copy.js'
import {LINEAGE_COLUMNS, LineageRowEncoder} from '../dist/src/lineage/lineage-binary-format.js'

const ROWS = 200_000
const BATCH = 5_000
const POSTGRES_URL = process.env.FACTFLOW_BENCH_DATABASE_URL ?? process.env.FACTFLOW_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test'

/** Lineage-like rows: a tree of messages over 4 routes × 3 adapters, ~450 bytes each as COPY text. */
function makeRows(count) {
  const executionId = uuidv7()
  const rows = []
  let parent = null
  const start = Date.now()
  for (let i = 0; i < count; i++) {
    const messageId = uuidv7()
    const failed = i % 50 === 0
    rows.push({
      id: uuidv7(), correlation_id: uuidv7(), message_id: messageId, parent_id: parent, execution_id: executionId,
      route_id: `route-${i % 4}`, adapter_name: ['web_fetcher', 'html_to_markdown', 'segmenter'][i % 3], adapter_index: i % 3,
      stage_name: 'stage', stage_status: failed ? 'failed' : 'completed', stage_input_hash: `sha256:${(i * 2654435761 >>> 0).toString(16)}`,
      started_at: new Date(start + i), completed_at: new Date(start + i + 3), duration_ms: 1.5 + (i % 97),
      metadata: {url: `https://docs.example.test/manual/section-${i % 500}/page-${i}.html`, title: `Page ${i}`, document_id: `doc-${i}`},
      error_info: failed ? {error_class: 'HttpError', message: 'HTTP 503 from upstream', retryable: true} : null,
      replay_batch_id: null,
    })
    if (i % 10 === 0) parent = messageId
  }
  return rows
}

/**
 * Raw COPY: encode (binary COPY) and copy the rows in fixed batches, one after the other, nothing in
 * between. Its memory is made once per store and reused from batch to batch, as the writer's is: a
 * fresh buffer per batch costs a page fault per 4 KiB touched (~12 µs each on these VMs), which
 * once made this baseline run at about half its speed.
 */
function rawCopier() {
  // One chunk holds a whole batch (5,000 rows of a few hundred bytes), so a batch is sealed as one piece.
  const encoder = new LineageRowEncoder(8 << 20)
  let body = Buffer.alloc(0)
  return async function rawCopy(db, rows) {
    const started = performance.now()
    for (let i = 0; i < rows.length; i += BATCH) {
      for (let j = i; j < Math.min(i + BATCH, rows.length); j++) {
        if (encoder.append(rows[j]) !== undefined) throw new Error('raw COPY batch outgrew its chunk')
      }
      const chunk = encoder.seal()
      const size = COPY_BINARY_HEADER.length + chunk.bytes.length + COPY_BINARY_TRAILER.length
      if (body.length < size) body = Buffer.alloc(size)
      body.set(COPY_BINARY_HEADER, 0)
      body.set(chunk.bytes, COPY_BINARY_HEADER.length)
      body.set(COPY_BINARY_TRAILER, size - COPY_BINARY_TRAILER.length)
      await db.copyFrom({table: 'lineage', columns: LINEAGE_COLUMNS}, body.subarray(0, size))
      encoder.recycle(chunk)
    }
    return rows.length / ((performance.now() - started) / 1000)
  }
}

/** The writer as the engine uses it: rows arrive in bursts between event-loop turns; time until all are stored. */
async function throughWriter(db, rows) {
  const writer = createLineageWriter(db, {maxBufferedRows: rows.length})
  const started = performance.now()
  for (let i = 0; i < rows.length; i++) {
    writer.write(rows[i])
    if (i % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve))
  }
  await writer.flush(600_000)
  const rate = rows.length / ((performance.now() - started) / 1000)
  const stats = writer.stats()
  await writer.close()
  if (stats.written !== rows.length || stats.dropped !== 0) throw new Error(`writer lost rows: ${JSON.stringify(stats)}`)
  return rate
}

async function measure(db, label, rounds) {
  await migrate(db)
  // Warm-up (JIT, buffers), then alternating measured runs, each on an empty table; the best of
  // each kind counts (the machine is shared: the best run is the least disturbed one).
  const rawCopy = rawCopier()
  await rawCopy(db, makeRows(20_000))
  const rows = makeRows(ROWS)
  let baseline = 0
  let value = 0
  for (let round = 0; round < rounds; round++) {
    await db.query('TRUNCATE lineage')
    baseline = Math.max(baseline, await rawCopy(db, rows))
    await db.query('TRUNCATE lineage')
    value = Math.max(value, await throughWriter(db, rows))
  }
  return {
    name: `lineage.${label}.rows_per_s`, value: Math.round(value), unit: 'rows/s',
    baseline: `raw COPY of the same ${ROWS} rows in ${BATCH}-row batches, same connection (best of ${rounds})`,
    baseline_value: Math.round(baseline), ratio: Number((value / baseline).toFixed(3)),
  }
}

async function postgresFigure(rounds) {
  const name = `factflow_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({connectionString: POSTGRES_URL})
  try {
    await admin.connect()
  } catch (error) {
    process.stderr.write(`lineage bench: PostgreSQL at ${new URL(POSTGRES_URL).host} is unreachable (${error.message}); skipped\n`)
    return undefined
  }
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  const db = await openDatabase(url.toString(), {poolSize: 2})
  try {
    return await measure(db, 'postgres', rounds)
  } finally {
    await db.close()
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

async function pgliteFigure(rounds) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-pglite-'))
  const db = await openDatabase(path.join(dir, 'db'))
  try {
    return await measure(db, 'pglite', rounds)
  } finally {
    await db.close()
    await rm(dir, {recursive: true, force: true})
  }
}

/** @param {{rounds?: number}} [options] measured runs of each kind per store (default 2) */
export async function run(options = {}) {
  const rounds = options.rounds ?? 2
  const figures = []
  const postgres = await postgresFigure(rounds)
  if (postgres !== undefined) figures.push(postgres)
  figures.push(await pgliteFigure(rounds))
  return figures
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`)
}
