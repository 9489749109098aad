// Loaded into a measured process with `node --import <this file> …`: when the process exits, writes
// the kernel's peak resident set of this process (/proc/self/status VmHWM, the figure the
// LlamaIndex.TS peer reports as peak_rss_mb.vmhwm) to the file named by FACTFLOW_BENCH_PEAK_FILE.
// Worker threads inherit --import; only the main thread reports, or a worker's exit could write an
// earlier, lower figure over the process's.
import {readFileSync, writeFileSync} from 'node:fs'
import {isMainThread} from 'node:worker_threads'

const target = process.env.FACTFLOW_BENCH_PEAK_FILE
if (isMainThread && target) {
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1])
    writeFileSync(target, JSON.stringify({vmhwm_kb: kb('VmHWM'), vmrss_kb: kb('VmRSS')}))
  })
}
