import type {IncomingMessage} from 'node:http'

export interface PlainResponse {
  status: number
  statusText: string
  text: string
}

/**
 * One HTTP request with its whole answer as text, on `node:http` / `node:https`. The JSON calls of
 * the client use it instead of `fetch`: Node's fetch compiles its bundled undici on first use
 * (~60–100 ms here), which would be most of a short client command's run time. Streams (SSE,
 * object bytes) still use fetch. Errors are the socket's (`ECONNREFUSED` …) or a `TimeoutError`.
 */
export async function plainRequest(url: string, options: {method: string; headers: Record<string, string>; body?: string; timeoutMs: number; signal?: AbortSignal}): Promise<PlainResponse> {
  const target = new URL(url)
  const {request} = target.protocol === 'https:' ? await import('node:https') : await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: options.method, signal: options.signal,
      headers: {...options.headers, ...(options.body === undefined ? {} : {'content-length': String(Buffer.byteLength(options.body))})},
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        clearTimeout(timer)
        resolve({status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8')})
      })
    })
    const timer = setTimeout(() => {
      const error = new Error(`no answer in ${options.timeoutMs} ms`)
      error.name = 'TimeoutError'
      req.destroy(error)
    }, options.timeoutMs)
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end(options.body)
  })
}
