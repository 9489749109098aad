// The SSE clients of `sse.fanout`, in a process of their own: `node sse-clients.js URL N` opens N
// streams of one execution's events at once, reads each to its end, and prints one JSON line:
// for each client the event ids in the order received, checked for repeats and a terminal last.
import http from 'node:http'

const [url, countText] = process.argv.slice(2)
const count = Number(countText)
const agent = new http.Agent({keepAlive: false, maxSockets: Infinity})
const TERMINAL = new Set(['execution.completed', 'execution.failed', 'execution.cancelled', 'execution.interrupted'])

function follow() {
  return new Promise((resolve, reject) => {
    const request = http.get(url, {agent, headers: {accept: 'text/event-stream'}}, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`status ${response.statusCode}`))
        response.resume()
        return
      }
      const ids = []
      let lastEvent = ''
      let buffer = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        buffer += chunk
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let id
          let event
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) id = line.slice(3).trim()
            else if (line.startsWith('event:')) event = line.slice(6).trim()
          }
          if (id !== undefined) {
            ids.push(id)
            lastEvent = event ?? ''
          }
        }
      })
      response.on('end', () => resolve({ids, lastEvent}))
      response.on('error', reject)
    })
    request.on('error', reject)
  })
}

const started = performance.now()
const results = await Promise.allSettled(Array.from({length: count}, () => follow()))
const clients = results.map((r) => r.status === 'fulfilled'
  ? {ids: r.value.ids, terminal_last: TERMINAL.has(r.value.lastEvent), repeats: r.value.ids.length - new Set(r.value.ids).size}
  : {error: String(r.reason)})
const cpu = process.cpuUsage()
process.stdout.write(`${JSON.stringify({clients, ms: performance.now() - started, cpu_ms: (cpu.user + cpu.system) / 1000})}\n`)
