// Summarises V8 CPU profiles (`node --cpu-prof`, one file per thread) into shares of sampled time:
// idle, GC, program, and non-idle time attributed (a) by the file of the sampled frame itself and
// (b) by the innermost factflow file on the stack (library time charged to the factflow code that
// called it). Usage: node bench/tools/cpuprofile-summary.js DIR_OR_FILE... [--top N]
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

const argv = process.argv.slice(2)
const topIndex = argv.indexOf('--top')
const TOP = topIndex >= 0 ? Number(argv[topIndex + 1]) : 25
const inputs = argv.filter((a, i) => !a.startsWith('--') && (topIndex < 0 || i !== topIndex + 1))

const files = []
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    for (const name of (await readdir(input)).sort()) if (name.endsWith('.cpuprofile')) files.push(path.join(input, name))
  } else files.push(input)
}

function shortFile(url) {
  if (!url) return ''
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/')
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  const dist = url.indexOf('/dist/')
  if (dist >= 0) return url.slice(dist + 6)
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\//, '')
}
const isFactflow = (url) => url.includes('/dist/')
const ms = (us) => Math.round(us / 1000)
const pct = (part, whole) => `${((100 * part) / whole).toFixed(1)}%`

for (const file of files) {
  const profile = JSON.parse(await readFile(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfTime = new Map()
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = profile.endTime - profile.startTime
  const special = {idle: 0, gc: 0, program: 0}
  const byFile = new Map()
  const byOwner = new Map()
  const byFunction = new Map()
  const ownerCache = new Map()
  const owner = (id) => {
    if (ownerCache.has(id)) return ownerCache.get(id)
    let cur = id
    let result = '(no factflow frame)'
    while (cur !== undefined) {
      const url = byId.get(cur).callFrame.url
      if (isFactflow(url)) { result = shortFile(url); break }
      cur = parent.get(cur)
    }
    ownerCache.set(id, result)
    return result
  }
  const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v)
  for (const [id, t] of selfTime) {
    const {functionName, url, lineNumber} = byId.get(id).callFrame
    if (functionName === '(idle)') { special.idle += t; continue }
    if (functionName === '(garbage collector)') { special.gc += t; add(byOwner, '(gc)', t); continue }
    if (functionName === '(program)') { special.program += t; add(byOwner, '(program)', t); continue }
    add(byFile, shortFile(url) || `(${functionName})`, t)
    add(byOwner, owner(id), t)
    add(byFunction, `${functionName || '(anon)'} ${shortFile(url)}:${lineNumber + 1}`, t)
  }
  const busy = total - special.idle
  console.log(`\n== ${path.basename(file)}: ${ms(total)} ms sampled, idle ${pct(special.idle, total)}, busy ${ms(busy)} ms (gc ${pct(special.gc, busy)}, program ${pct(special.program, busy)} of busy)`)
  const show = (title, map) => {
    console.log(`-- ${title} (share of busy)`)
    for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${pct(v, busy).padStart(6)} ${String(ms(v)).padStart(6)} ms  ${k}`)
  }
  show('by innermost factflow file on the stack', byOwner)
  show('by file of the sampled frame', byFile)
  show('by function', byFunction)
}
