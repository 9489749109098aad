import http from 'node:http'
import https from 'node:https'

import ipaddr from 'ipaddr.js'

import {addressRefusal, guardedLookup, type NetworkPolicy} from '../network/address-policy.js'
import type {WebhookAttemptStatus} from './webhook-types.js'

const EXCERPT_CHARS = 1000
/** Bytes of an answer read before the rest is dropped. */
const READ_LIMIT = 64 * 1024

export interface WebhookRequest {
  url: string
  body: string
  headers: Record<string, string>
  timeoutMs: number
  policy: NetworkPolicy
}

export interface WebhookAttemptResult {
  status: WebhookAttemptStatus
  /** Network errors, timeouts, 408, 429 and 5xx are retried (docs/reference/server.md); nothing else is. */
  retryable: boolean
  response_code: number | null
  response_excerpt: string | null
  error: string | null
  duration_ms: number
}

/**
 * One POST of a delivery. The target's addresses are checked against the policy as the socket
 * connects (after DNS resolution, so rebinding cannot slip through), redirects are not followed,
 * and the whole attempt, connect to last byte, is bounded by `timeoutMs`. Never throws.
 */
export async function sendWebhook(request: WebhookRequest): Promise<WebhookAttemptResult> {
  const started = performance.now()
  const done = (result: Omit<WebhookAttemptResult, 'duration_ms'>): WebhookAttemptResult => ({...result, duration_ms: Math.round(performance.now() - started)})
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return done({status: 'refused', retryable: false, response_code: null, response_excerpt: null, error: 'the target is not a URL'})
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (ipaddr.isValid(host)) {
    const refused = addressRefusal(host, request.policy)
    if (refused !== undefined) return done({status: 'refused', retryable: false, response_code: null, response_excerpt: null, error: `refused: ${refused}`})
  }
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined
  if (!client) return done({status: 'refused', retryable: false, response_code: null, response_excerpt: null, error: `refused: ${url.protocol} is not http(s)`})

  return new Promise((resolve) => {
    let settled = false
    const finish = (result: Omit<WebhookAttemptResult, 'duration_ms'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(done(result))
    }
    const req = client.request(url, {
      method: 'POST', agent: false, lookup: guardedLookup(request.policy),
      headers: {'content-type': 'application/json', 'content-length': String(Buffer.byteLength(request.body)), 'user-agent': 'factflow-webhooks', ...request.headers},
    }, (res) => {
      const code = res.statusCode ?? 0
      const chunks: Buffer[] = []
      let size = 0
      const answer = () => {
        const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS)
        const ok = code >= 200 && code < 300
        finish({
          status: ok ? 'succeeded' : 'http_error', retryable: !ok && (code === 408 || code === 429 || code >= 500),
          response_code: code, response_excerpt: excerpt === '' ? null : excerpt, error: ok ? null : `HTTP ${code}`,
        })
        res.destroy()
      }
      res.on('data', (chunk: Buffer) => {
        if (size < READ_LIMIT) chunks.push(chunk)
        size += chunk.length
        if (size >= READ_LIMIT) answer()
      })
      res.on('end', answer)
      res.on('error', (error) => finish({status: 'network_error', retryable: true, response_code: code, response_excerpt: null, error: error.message}))
    })
    const timer = setTimeout(() => {
      finish({status: 'timeout', retryable: true, response_code: null, response_excerpt: null, error: `no complete answer within ${request.timeoutMs} ms`})
      req.destroy()
    }, request.timeoutMs)
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_ADDRESS_REFUSED') finish({status: 'refused', retryable: false, response_code: null, response_excerpt: null, error: `refused: ${error.message}`})
      else finish({status: 'network_error', retryable: true, response_code: null, response_excerpt: null, error: `${error.code ?? 'error'}: ${error.message}`})
    })
    req.end(request.body)
  })
}
