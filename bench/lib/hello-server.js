// The baseline of the HTTP load figures: a bare @hono/node-server answering a small JSON hello,
// in its own process like the factflow server. Prints its URL on stdout once listening.
import {serve} from '@hono/node-server'
import {Hono} from 'hono'

const app = new Hono()
app.get('*', (c) => c.json({status: 'healthy'}))
const server = serve({fetch: app.fetch, hostname: '127.0.0.1', port: 0}, (info) => {
  process.stdout.write(`http://127.0.0.1:${info.port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
