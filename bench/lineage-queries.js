// The lineage API's chain and stats queries at a million rows, on PostgreSQL and on PGlite (on
// disk), each against the same SQL statements run raw in the same run: through a plain `pg.Client`,
// and through a plain `PGlite` instance opened on the same data directory. Opt-in (seeding a
// million rows takes minutes): `npm run bench -- --only lineage-queries`, or
// `node bench/lineage-queries.js` (JSON). Needs the build (`npm run build`).
//   BENCH_LINEAGE_ROWS=…            rows to seed (default 1,000,000)
//   FACTFLOW_BENCH_DATABASE_URL=…   PostgreSQL server to use (a scratch database is created and dropped)
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import pg from 'pg'
import {v7 as uuidv7} from 'uuid'
import {migrate} from '../dist/src/db/migrate.js'
import {openDatabase} from '../dist/src/db/open-database.js'
import {COPY_BINARY_HEADER, COPY_BINARY_TRAILER} from '../dist/src/db/binary-copy.js'
import {createLineageQueries} from '../dist/src/lineage/lineage-queries.js'
import {LINEAGE_COLUMNS, LineageRowEncoder} from '../dist/src/lineage/lineage-binary-format.js'

const ROWS = Number(process.env.BENCH_LINEAGE_ROWS ?? 1_000_000)
const EXECUTIONS = 10
const SEGMENTS_PER_PAGE = 32
const RUNS = 15
const POSTGRES_URL = process.env.FACTFLOW_BENCH_DATABASE_URL ?? process.env.FACTFLOW_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test'

/**
 * Engine-like trees, one per execution, executions one after the other in time: a root message
 * (1 row), pages (3 rows each: fetch, convert, segment) children of the root, and 32 segment
 * messages (1 row each: embed) per page. Returns the ids the queries start from.
 */
async function seed(db) {
  const encoder = new LineageRowEncoder(16 << 20)
  let body = Buffer.alloc(0)
  const flush = async () => {
    const chunk = encoder.seal()
    const size = COPY_BINARY_HEADER.length + chunk.bytes.length + COPY_BINARY_TRAILER.length
    if (body.length < size) body = Buffer.alloc(size)
    body.set(COPY_BINARY_HEADER, 0)
    body.set(chunk.bytes, COPY_BINARY_HEADER.length)
    body.set(COPY_BINARY_TRAILER, size - COPY_BINARY_TRAILER.length)
    await db.copyFrom({table: 'lineage', columns: LINEAGE_COLUMNS}, body.subarray(0, size))
    encoder.recycle(chunk)
  }
  let pending = 0
  let time = Date.now() - ROWS
  const probe = {}
  const perExecution = Math.floor(ROWS / EXECUTIONS)
  const probePage = Math.floor(perExecution / (3 + SEGMENTS_PER_PAGE) / 2)
  const add = async (row) => {
    if (encoder.append(row) !== undefined) throw new Error('a batch outgrew its chunk')
    if (++pending === 20_000) { await flush(); pending = 0 }
  }
  const row = (executionId, messageId, parentId, route, adapter, index, i) => ({
    id: uuidv7(), correlation_id: executionId, message_id: messageId, parent_id: parentId, execution_id: executionId,
    route_id: route, adapter_name: adapter, adapter_index: index, stage_name: adapter,
    stage_status: i % 97 === 0 ? 'failed' : 'completed', stage_input_hash: null,
    started_at: new Date(time), completed_at: new Date(time + 2), duration_ms: 1 + (i % 89),
    metadata: {url: `https://docs.example.test/p/${i}.html`, title: `Page ${i}`},
    error_info: i % 97 === 0 ? {error_class: 'Error', message: 'boom', retryable: false} : null, replay_batch_id: null,
  })
  for (let e = 0; e < EXECUTIONS; e++) {
    const executionId = uuidv7()
    const root = uuidv7()
    let written = 0
    await add(row(executionId, root, null, 'crawl', 'sitemap_parser', 0, written++)); time++
    for (let page = 0; written < perExecution; page++) {
      const pageId = uuidv7()
      for (const [index, adapter] of ['web_fetcher', 'html_to_markdown', 'segmenter'].entries()) {
        const r = row(executionId, pageId, root, 'pages', adapter, index, written++)
        await add(r)
        if (e === EXECUTIONS / 2 && page === probePage && index === 0) probe.pageRowId = r.id
        time++
      }
      for (let s = 0; s < SEGMENTS_PER_PAGE && written < perExecution; s++) {
        const r = row(executionId, uuidv7(), pageId, 'embed', 'embedding_generator', 0, written++)
        await add(r)
        if (e === EXECUTIONS / 2 && page === probePage && s === 7) probe.segmentRowId = r.id
        time++
      }
    }
    if (e === EXECUTIONS / 2) probe.executionId = executionId
  }
  if (pending > 0) await flush()
  // The upkeep the lineage queries do before their first query after a run, paid here, untimed.
  await db.query("SELECT brin_summarize_new_values('lineage_execution_brin'), brin_summarize_new_values('lineage_id_brin'), brin_summarize_new_values('lineage_chain_bloom')")
  await db.query('ANALYZE lineage')
  return probe
}

/** Records every statement a `db` runs, for the raw baseline. */
function recording(db) {
  const statements = []
  return {
    statements,
    db: {...db, query: (sql, params) => { statements.push([sql, params]); return db.query(sql, params) }},
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function timeIt(fn) {
  await fn()
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    await fn()
    times.push(performance.now() - started)
  }
  return median(times)
}

/** The chain and stats calls of the lineage API, and the statements each one runs. */
async function throughQueries(db, probe) {
  const queries = createLineageQueries(db)
  // Warms the index upkeep check (it finds nothing new after the seed).
  await queries.get(probe.pageRowId)
  const calls = {
    'chain(page)': () => queries.chain(probe.pageRowId),
    'chain(segment)': () => queries.chain(probe.segmentRowId),
    stats: () => queries.stats(probe.executionId),
  }
  const result = {}
  for (const [name, call] of Object.entries(calls)) {
    const recorder = recording(db)
    const check = await createLineageQueries(recorder.db)[name.startsWith('chain') ? 'chain' : 'stats'](name === 'stats' ? probe.executionId : name === 'chain(page)' ? probe.pageRowId : probe.segmentRowId)
    if (name === 'chain(page)' && check.descendants.length !== SEGMENTS_PER_PAGE) throw new Error(`chain found ${check.descendants.length} descendants`)
    // Not the upkeep statements (brin_summarize…, ANALYZE): the raw baseline runs the reads.
    result[name] = {ms: await timeIt(call), statements: recorder.statements.filter(([sql]) => !/brin_summarize|ANALYZE/.test(sql))}
  }
  return result
}

async function replay(run, statements) {
  return timeIt(async () => { for (const [sql, params] of statements) await run(sql, params) })
}

function figures(label, measured, raw) {
  return Object.entries(measured).map(([name, {ms, statements}]) => ({
    name: `lineage_api.${label}.${name.replace(/[()]/g, '_').replace(/_$/, '')}_ms`, value: Number(ms.toFixed(2)), unit: 'ms',
    baseline: `the same ${statements.length} statement(s) run raw (${label === 'postgres' ? 'pg.Client' : 'PGlite'}), ${ROWS} rows, median of ${RUNS}`,
    baseline_value: Number(raw[name].toFixed(2)), ratio: Number((ms / raw[name]).toFixed(3)),
  }))
}

async function postgresFigures() {
  const name = `factflow_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({connectionString: POSTGRES_URL})
  try {
    await admin.connect()
  } catch (error) {
    process.stderr.write(`lineage-queries bench: PostgreSQL at ${new URL(POSTGRES_URL).host} is unreachable (${error.message}); skipped\n`)
    return []
  }
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  const db = await openDatabase(url.toString(), {poolSize: 2})
  const client = new pg.Client({connectionString: url.toString()})
  try {
    await migrate(db)
    const probe = await seed(db)
    const measured = await throughQueries(db, probe)
    await client.connect()
    const raw = {}
    for (const [key, {statements}] of Object.entries(measured)) raw[key] = await replay((sql, params) => client.query(sql, params), statements)
    return figures('postgres', measured, raw)
  } finally {
    await client.end().catch(() => undefined)
    await db.close()
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

async function pgliteFigures() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-pglite-'))
  const dataDir = path.join(dir, 'db')
  try {
    const db = await openDatabase(dataDir)
    let measured
    try {
      await migrate(db)
      const probe = await seed(db)
      measured = await throughQueries(db, probe)
    } finally {
      await db.close()
    }
    const {PGlite} = await import('@electric-sql/pglite')
    const raw = {}
    const plain = await PGlite.create(dataDir)
    try {
      for (const [key, {statements}] of Object.entries(measured)) raw[key] = await replay((sql, params) => plain.query(sql, params), statements)
    } finally {
      await plain.close()
    }
    return figures('pglite', measured, raw)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

export async function run() {
  return [...await postgresFigures(), ...await pgliteFigures()]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`)
}
