import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface IdentityProxy {
  url: string
  close(): Promise<void>
}

/**
 * An SSO proxy stand-in: forwards every request to `target` with `headers` added (the identity a
 * real proxy would assert), streaming both ways so that Server-Sent Events pass as they come.
 */
export async function startIdentityProxy(target: string, headers: Record<string, string>): Promise<IdentityProxy> {
  const upstream = new URL(target)
  const server = http.createServer((request, response) => {
    const forwarded = http.request({
      host: upstream.hostname, port: upstream.port, method: request.method, path: request.url,
      headers: {...request.headers, host: upstream.host, ...headers},
    }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    forwarded.on('error', () => { if (!response.headersSent) response.writeHead(502); response.end() })
    response.on('close', () => forwarded.destroy())
    request.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}
