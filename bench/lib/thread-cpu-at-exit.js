// Loaded into a measured process with `node --import <this file> …` (worker threads inherit it):
// writes each thread's CPU seconds (user + system, /proc/.../stat) to files named after
// FACTFLOW_BENCH_THREADS_FILE: the main thread, at process exit, lists every live thread (V8's and
// libuv's helpers included); each worker thread, every 250 ms and at its exit, writes `<file>.worker-<tid>`
// with its own figure, so workers that end before the process are counted too.
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {isMainThread, threadId, workerData} from 'node:worker_threads'

const target = process.env.FACTFLOW_BENCH_THREADS_FILE
const HZ = 100

function readThread(statPath) {
  const stat = readFileSync(statPath, 'utf8')
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {name, cpu_s: (Number(fields[11]) + Number(fields[12])) / HZ}
}

if (target && isMainThread) {
  process.on('exit', () => {
    const threads = []
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        threads.push({tid: Number(tid), main: Number(tid) === process.pid, ...readThread(`/proc/self/task/${tid}/stat`)})
      } catch {}
    }
    writeFileSync(target, JSON.stringify(threads.sort((a, b) => b.cpu_s - a.cpu_s)))
  })
} else if (target) {
  const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0])
  // A terminated worker runs no exit handler: the figure is rewritten every 250 ms as well.
  const record = () => {
    try {
      writeFileSync(`${target}.worker-${tid}`, JSON.stringify({tid, worker: threadId, pglite: workerData?.pgliteUrl !== undefined, ...readThread('/proc/thread-self/stat')}))
    } catch {}
  }
  setInterval(record, 250).unref()
  process.on('exit', record)
}
