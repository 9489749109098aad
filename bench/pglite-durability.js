// What durability costs in the embedded database. PGlite never calls fsync/fdatasync itself,
// whatever PostgreSQL's `fsync` says (strace: 0 calls with fsync=off and with fsync=on), so the
// figures are: (1) single-row commits/s with PostgreSQL's fsync=on against the default -F (off),
// which buys nothing on disk; (2) closing the database with factflow's sync of its files
// (FACTFLOW_DB_SYNC=on, the default) against closing without it (FACTFLOW_DB_SYNC=off).
//   node bench/pglite-durability.js      prints the figures as JSON (needs `npm run build`)
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {PGlite} from '@electric-sql/pglite'
import {PgliteDatabase} from '../dist/src/db/pglite-database.js'

const COMMITS = 300

async function commitsPerSecond(extra) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-fsync-'))
  const db = await PGlite.create({dataDir: dir, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', ...extra]})
  await db.exec('CREATE TABLE t (id int, s text)')
  const started = performance.now()
  for (let i = 0; i < COMMITS; i++) await db.query('INSERT INTO t VALUES ($1, $2)', [i, 'x'.repeat(400)])
  const rate = COMMITS / ((performance.now() - started) / 1000)
  await db.close()
  await rm(dir, {recursive: true, force: true})
  return rate
}

/** A run's end on an existing database: open, write 20,000 rows, close (timed). */
async function closeMs(dataDir, sync) {
  process.env.FACTFLOW_DB_SYNC = sync ? 'on' : 'off'
  const db = await PgliteDatabase.open({dataDir, worker: false})
  await db.query('CREATE TABLE IF NOT EXISTS t (id int, s text)')
  await db.query("INSERT INTO t SELECT g, repeat('y', 400) FROM generate_series(1, 20000) g")
  const started = performance.now()
  await db.close()
  return performance.now() - started
}

export async function run() {
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const off = []
  const on = []
  for (let round = 0; round < 3; round++) {
    off.push(await commitsPerSecond([]))
    on.push(await commitsPerSecond(['-c', 'fsync=on']))
  }
  const plain = []
  const synced = []
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-bench-close-'))
  await closeMs(path.join(dir, 'db'), true)
  for (let round = 0; round < 3; round++) {
    plain.push(await closeMs(path.join(dir, 'db'), false))
    synced.push(await closeMs(path.join(dir, 'db'), true))
  }
  await rm(dir, {recursive: true, force: true})
  const r = (x) => Math.round(x * 100) / 100
  return [
    {name: 'pglite.commits_per_s_fsync_on', value: r(median(on)), unit: 'commits/s', baseline: 'fsync off (-F, the default)', baseline_value: r(median(off)), ratio: r(median(on) / median(off))},
    {name: 'pglite.close_ms_synced', value: r(median(synced)), unit: 'ms', baseline: 'close with FACTFLOW_DB_SYNC=off (existing database, 20,000 rows written)', baseline_value: r(median(plain)), ratio: r(median(synced) / median(plain))},
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2))
